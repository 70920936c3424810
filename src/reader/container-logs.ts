import { ContainerNotFoundError, InvalidOptionError, hasErrorCode } from '../errors/crilog-error.js';
import type { TimerHandle } from '../ports/clock.js';
import type { RuntimeService } from '../ports/runtime-service.js';
import { normalizeReadOptions } from './options.js';
import { runRead } from './read-logs.js';
import type { LogOutput, ReadLogsOptions, ReadSummary } from './types.js';

/** Options of `readContainerLogs`. */
export interface ReadContainerLogsOptions extends ReadLogsOptions {
  /** Follow: how often to ask the runtime whether the container still runs, in ms. Default 2000. */
  statusIntervalMs?: number;
}

/**
 * `readLogs` for a container known to `runtime`: the log path comes from `containerStatus`. A follow
 * ends by itself once the container stops running (or is removed), after everything it wrote was read;
 * a container that is not running is read without following, as `kubectl logs -f` does.
 *
 * @throws ContainerNotFoundError, RuntimeUnavailableError from the runtime; InvalidOptionError.
 */
export async function readContainerLogs(
  runtime: RuntimeService,
  containerId: string,
  options: ReadContainerLogsOptions,
  output: LogOutput,
): Promise<ReadSummary> {
  const opts = normalizeReadOptions(options);
  const interval = options.statusIntervalMs ?? 2000;
  if (!Number.isFinite(interval) || interval <= 0) {
    throw new InvalidOptionError({
      key: 'statusIntervalMs',
      value: interval,
      rule: 'must be a number of milliseconds > 0',
    });
  }
  const status = await runtime.containerStatus(containerId);
  if (!status.logPath) {
    throw new InvalidOptionError(
      `container "${containerId}" has no log path (the runtime reports none); it was created without a log directory`,
    );
  }
  const following = opts.follow && status.state === 'running';
  const controls = {
    signal: options.signal,
    onWarning: options.onWarning,
    stop: undefined as AbortSignal | undefined,
  };
  if (!following) return runRead(status.logPath, { ...opts, follow: false }, output, controls);

  const stopper = new AbortController();
  controls.stop = stopper.signal;
  const clock = opts.clock;
  let timer: TimerHandle | undefined;
  let done = false;
  let reported = false;
  const poll = async () => {
    try {
      const now = await runtime.containerStatus(containerId);
      if (now.state !== 'running') stopper.abort();
    } catch (err) {
      if (err instanceof ContainerNotFoundError || hasErrorCode(err, 'ERR_CONTAINER_NOT_FOUND')) {
        stopper.abort();
      } else if (!reported) {
        // The runtime may come back (restart); keep following and say so once.
        reported = true;
        const message = `could not check whether container "${containerId}" still runs: ${err instanceof Error ? err.message : String(err)}; still following`;
        options.onWarning?.(message);
      }
    }
    if (!done && !stopper.signal.aborted) timer = clock.setTimeout(() => void poll(), interval);
  };
  timer = clock.setTimeout(() => void poll(), interval);
  try {
    return await runRead(status.logPath, opts, output, controls);
  } finally {
    done = true;
    clock.clearTimeout(timer);
  }
}
