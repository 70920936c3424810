import path from 'node:path';
import { InvalidOptionError } from '../errors/crilog-error.js';

/** Environment variable crictl and friends read the runtime endpoint from. */
export const RUNTIME_ENDPOINT_ENV = 'CONTAINER_RUNTIME_ENDPOINT';

/** Endpoint suggested in error messages: containerd's default socket. */
export const EXAMPLE_ENDPOINT = 'unix:///run/containerd/containerd.sock';

/**
 * Linux `sun_path` holds 108 bytes including the terminating NUL; a longer path cannot be
 * connected to at all, and grpc-js would only report a vague UNAVAILABLE.
 */
export const MAX_UNIX_PATH_BYTES = 107;

/** A CRI endpoint crilog can dial: always a unix socket. */
export interface RuntimeEndpoint {
  /** Absolute, normalized socket path. */
  socketPath: string;
  /** The gRPC target, `unix:///abs/path`. */
  target: string;
  /** The value as the user wrote it, for messages. */
  raw: string;
  /** Where the value came from. */
  source: 'flag' | 'env' | 'option';
}

/** Where to look for the endpoint; the first non-empty one wins. */
export interface EndpointSources {
  /** Value of `--runtime-endpoint` (or the library option). */
  flag?: string;
  /** Environment to read `CONTAINER_RUNTIME_ENDPOINT` from; `process.env` by default. */
  env?: NodeJS.ProcessEnv;
}

function sourceName(source: RuntimeEndpoint['source']): string {
  if (source === 'env') return RUNTIME_ENDPOINT_ENV;
  return source === 'flag' ? '--runtime-endpoint' : 'runtime endpoint';
}

/**
 * Parses one endpoint value: `unix:///path/to.sock` or a plain absolute `/path/to.sock`.
 * Anything else (tcp, npipe, relative paths, a host part) is rejected with the fix in the message.
 */
export function parseRuntimeEndpoint(
  raw: string,
  source: RuntimeEndpoint['source'] = 'option',
): RuntimeEndpoint {
  const name = sourceName(source);
  const bad = (why: string): never => {
    throw new InvalidOptionError({
      key: name,
      value: raw,
      rule: why,
      hint: `use a unix socket such as "${EXAMPLE_ENDPOINT}"`,
    });
  };
  if (raw.trim() === '') bad('it is empty');
  let socketPath: string;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(raw)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    socketPath = raw;
    if (!path.isAbsolute(socketPath)) bad('a plain socket path must be absolute');
  } else if (scheme === 'unix') {
    // Schemes are case-insensitive (RFC 3986); the path is not.
    if (raw.slice(0, 7).toLowerCase() !== 'unix://') {
      bad('write unix endpoints as "unix://" followed by an absolute path');
    }
    const rest = raw.slice('unix://'.length);
    if (rest === '') bad('the socket path is missing');
    // `unix://host/path` has a host part, which has no meaning for a local socket.
    if (!rest.startsWith('/'))
      bad('the socket path after "unix://" must be absolute (three slashes in total)');
    socketPath = rest;
  } else if (scheme === 'tcp' || scheme === 'npipe' || scheme === 'http' || scheme === 'https') {
    return bad(`crilog only supports unix sockets, not "${scheme}://" endpoints`);
  } else {
    return bad(`unknown scheme "${scheme}:"`);
  }
  if (socketPath.includes('\0')) bad('the path contains a NUL byte');
  socketPath = path.normalize(socketPath);
  if (socketPath.length > 1 && socketPath.endsWith('/')) bad('the path names a directory, not a socket');
  const bytes = Buffer.byteLength(socketPath);
  if (bytes > MAX_UNIX_PATH_BYTES) {
    bad(`the socket path is ${bytes} bytes long and unix sockets allow at most ${MAX_UNIX_PATH_BYTES}`);
  }
  return { socketPath, target: `unix://${socketPath}`, raw, source };
}

/**
 * Picks the endpoint the way crictl does: `--runtime-endpoint` first, then
 * `CONTAINER_RUNTIME_ENDPOINT`. Fails when neither is set, naming both.
 */
export function resolveRuntimeEndpoint(sources: EndpointSources = {}): RuntimeEndpoint {
  const env = sources.env ?? process.env;
  if (sources.flag !== undefined && sources.flag !== '') return parseRuntimeEndpoint(sources.flag, 'flag');
  const fromEnv = env[RUNTIME_ENDPOINT_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return parseRuntimeEndpoint(fromEnv, 'env');
  throw new InvalidOptionError({
    key: '--runtime-endpoint',
    rule: 'no CRI runtime endpoint given',
    hint: `pass --runtime-endpoint ${EXAMPLE_ENDPOINT} or set ${RUNTIME_ENDPOINT_ENV}=${EXAMPLE_ENDPOINT}`,
  });
}
