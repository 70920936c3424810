import { InvalidOptionError } from '../errors/crilog-error.js';

/** A `host:port` a server listens on. */
export interface ListenAddress {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** As written, for messages. */
  text: string;
}

/**
 * `host:port` or `[v6]:port`. The host must be explicit: binding every interface by accident would
 * publish the metrics to the whole network. Throws InvalidOptionError keyed `name`.
 */
export function parseListenAddress(text: string, name = 'metrics address'): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new InvalidOptionError({
      key: name,
      value: text,
      rule: 'must be host:port with a port from 0 to 65535',
      hint: 'e.g. 127.0.0.1:9753, 0.0.0.0:9753 or [::1]:9753',
    });
  }
  return { host: (m[1] ?? m[2]) as string, port, text };
}
