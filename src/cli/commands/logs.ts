import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { Option, type Command } from 'commander';
import { parseQuantity } from '../../units/quantity.js';
import { InvalidOptionError } from '../../errors/crilog-error.js';
import { errnoCode } from '../../ports/file-system.js';
import type { RuntimeService } from '../../ports/runtime-service.js';
import { readContainerLogs } from '../../reader/container-logs.js';
import { normalizeReadOptions, type OptionNamer } from '../../reader/options.js';
import { readLogs } from '../../reader/read-logs.js';
import type { ReadLogsOptions, StreamSelector } from '../../reader/types.js';

/** A runtime for one `crilog logs` run, closed afterwards if it can be. */
export type LogsRuntime = RuntimeService & { close?(): unknown };

/** What `crilog logs` needs from its surroundings; the CLI context satisfies it. */
export interface LogsCommandDeps {
  /** Lines go here: a byte stream (process.stdout) or anything with `write(text)`. */
  stdout: Writable | { write(text: string): unknown };
  /** Warnings go here. */
  stderr: { write(text: string): unknown };
  env?: NodeJS.ProcessEnv;
  /** SIGINT/SIGTERM end a follow cleanly. */
  signals?: {
    on(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
    off(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  };
  /** Set to what the process should exit with. */
  exitCode: number;
  /**
   * Connects to the runtime at `endpoint` (`--runtime-endpoint`; undefined means
   * `$CONTAINER_RUNTIME_ENDPOINT`). Defaults to the CRI client.
   */
  createRuntime?: (endpoint: string | undefined) => LogsRuntime | Promise<LogsRuntime>;
}

interface LogsFlags {
  path?: string;
  runtimeEndpoint?: string;
  tail?: string;
  since?: string;
  follow?: boolean;
  limitBytes?: string;
  timestamps?: boolean;
  stream?: StreamSelector;
}

const FLAG: Record<Parameters<OptionNamer>[0], string> = {
  tail: '--tail',
  since: '--since',
  limitBytes: '--limit-bytes',
  stream: '--stream',
  pollIntervalMs: 'poll interval',
};
const cliName: OptionNamer = (key) => FLAG[key];

/**
 * `crilog logs <container-id>` / `crilog logs --path <log-path>`: prints a container's whole log history,
 * rotated and compressed files included, like `kubectl logs`. Exit codes: 0 when the history was read
 * (damaged or vanished files are reported on stderr as warnings and skipped, as kubectl-style tools do),
 * 1 when the runtime or the files cannot be reached, 2 for bad flags.
 */
export function registerLogsCommand(program: Command, deps: LogsCommandDeps): void {
  program
    .command('logs')
    .description("print a container's log history across rotations and compression, like kubectl logs")
    .argument('[container-id]', 'container to read (its log path comes from the runtime)')
    .option(
      '--path <log-path>',
      'read the live log at this path and its rotations instead of asking the runtime',
    )
    .option(
      '--runtime-endpoint <endpoint>',
      'CRI socket, e.g. unix:///run/containerd/containerd.sock (default: $CONTAINER_RUNTIME_ENDPOINT)',
    )
    .option('--tail <lines>', 'only the last N lines; -1 for all (default: -1)')
    .option(
      '--since <when>',
      'only lines since a duration ago (10m, 1h30m) or an RFC 3339 time (2026-11-27T10:00:00Z)',
    )
    .option(
      '-f, --follow',
      'keep printing new lines, across rotations, until interrupted or the container stops',
    )
    .option('--limit-bytes <bytes>', 'stop after this many bytes (a number or a quantity such as 10Mi)')
    .option('--timestamps', 'prefix each line with its RFC 3339 timestamp')
    .addOption(
      new Option('--stream <stream>', 'which output stream to print')
        .choices(['stdout', 'stderr', 'all'])
        .default('all'),
    )
    .addHelpText(
      'after',
      '\nWarnings (a truncated or corrupt archive, a file removed while reading) go to stderr and do not change\n' +
        'the exit code: 0 when the history was read, 1 when the runtime or log cannot be reached, 2 for bad flags.',
    )
    .action(async (id: string | undefined, flags: LogsFlags) => {
      deps.exitCode = await runLogs(id, flags, deps);
    });
}

async function runLogs(id: string | undefined, flags: LogsFlags, deps: LogsCommandDeps): Promise<number> {
  if ((id === undefined) === (flags.path === undefined)) {
    throw new InvalidOptionError(
      id === undefined
        ? 'crilog logs needs a container id or --path <log-path>: e.g. crilog logs 3f2a1b or crilog logs --path /var/log/pods/ns_pod_uid/app/0.log'
        : `crilog logs got both container id "${id}" and --path "${flags.path}": pass one of them`,
    );
  }
  const abort = new AbortController();
  const options: ReadLogsOptions = {
    tail: flags.tail === undefined ? undefined : parseTail(flags.tail),
    since: flags.since,
    limitBytes: flags.limitBytes === undefined ? undefined : parseLimitBytes(flags.limitBytes),
    timestamps: flags.timestamps === true,
    stream: flags.stream ?? 'all',
    follow: flags.follow === true,
    signal: abort.signal,
    onWarning: (message) => void deps.stderr.write(`crilog logs: warning: ${message}\n`),
  };
  // Checked before connecting to anything, with the flags' own names in the messages.
  normalizeReadOptions(options, cliName);

  const output = toWritable(deps.stdout);
  const onSignal = () => abort.abort();
  // A closed pipe (`crilog logs | head`) is a normal way for the reader to go away.
  let pipeClosed = false;
  const onOutputError = (err: Error) => {
    if (errnoCode(err) === 'EPIPE') pipeClosed = true;
    abort.abort();
  };
  deps.signals?.on('SIGINT', onSignal);
  deps.signals?.on('SIGTERM', onSignal);
  output.on('error', onOutputError);
  try {
    if (flags.path !== undefined) {
      await readLogs(flags.path, options, output);
    } else {
      const runtime = await (deps.createRuntime ?? defaultRuntime(deps.env))(flags.runtimeEndpoint);
      try {
        await readContainerLogs(runtime, id!, options, output);
      } finally {
        await runtime.close?.();
      }
    }
  } catch (err) {
    if (pipeClosed || hasEpipe(err)) return 0;
    throw err;
  } finally {
    deps.signals?.off('SIGINT', onSignal);
    deps.signals?.off('SIGTERM', onSignal);
    output.off('error', onOutputError);
    if (output !== deps.stdout) output.end();
  }
  return 0;
}

function parseTail(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) {
    throw new InvalidOptionError(
      `--tail "${value}" is not a whole number: use --tail 100 for the last 100 lines, or --tail -1 for all`,
    );
  }
  return Number(value);
}

function parseLimitBytes(value: string): number {
  let bytes: number;
  try {
    bytes = /^\d+$/.test(value.trim()) ? Number(value) : parseQuantity(value);
  } catch (cause) {
    throw new InvalidOptionError(
      `--limit-bytes "${value}" is not a size: use a number of bytes or a quantity such as 64Ki or 10Mi`,
      { cause },
    );
  }
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new InvalidOptionError(
      `--limit-bytes "${value}" must be more than 0 bytes: use e.g. --limit-bytes 10Mi`,
    );
  }
  return bytes;
}

function defaultRuntime(env: NodeJS.ProcessEnv | undefined) {
  return async (endpoint: string | undefined): Promise<LogsRuntime> => {
    // Loaded on demand: `--path` needs no gRPC stack, and loading it is most of the start-up time.
    const { CriRuntimeService } = await import('../../runtime/cri/cri-runtime-service.js');
    return new CriRuntimeService({
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(env ? { env } : {}),
    });
  };
}

function hasEpipe(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (errnoCode(e) === 'EPIPE') return true;
  return false;
}

/** A text sink as a byte stream; multi-byte characters split between chunks are decoded whole. */
function toWritable(out: LogsCommandDeps['stdout']): Writable {
  if (out instanceof Writable || typeof (out as Writable).on === 'function') return out as Writable;
  const decoder = new StringDecoder('utf8');
  const text = out as { write(text: string): unknown };
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text.write(decoder.write(chunk));
      callback();
    },
    final(callback) {
      const rest = decoder.end();
      if (rest) text.write(rest);
      callback();
    },
  });
}
