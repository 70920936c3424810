import { constants, promises as fsp } from 'node:fs';
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { Option, type Command } from 'commander';
import { parseQuantity } from '../../units/quantity.js';
import { isReallyUnderRoots } from '../../daemon/root-guard.js';
import { InvalidOptionError } from '../../errors/crilog-error.js';
import { errnoCode } from '../../ports/file-system.js';
import { readContainerLogs } from '../../reader/container-logs.js';
import { normalizeReadOptions, type OptionNamer } from '../../reader/options.js';
import { readLogs } from '../../reader/read-logs.js';
import type { ReadLogsOptions, StreamSelector } from '../../reader/types.js';
import { listLogFiles } from '../../rotation/log-files.js';
import { connectRuntime, logsConfig, type ConnectDeps, type LogsRuntime } from '../logs/connect.js';
import { resolveFromLayout } from '../logs/from-layout.js';
import { resolveFromRuntime } from '../logs/from-runtime.js';
import { targetPrefix, TargetNotFoundError, type LogTarget, type Selection } from '../logs/target.js';

export type { LogsRuntime } from '../logs/connect.js';

/** What `crilog logs` needs from its surroundings; the CLI context satisfies it. */
export interface LogsCommandDeps extends ConnectDeps {
  /** Lines go here: a byte stream (process.stdout) or anything with `write(text)`. */
  stdout: Writable | { write(text: string): unknown };
  /** Warnings go here. */
  stderr: { write(text: string): unknown };
  /** SIGINT/SIGTERM end a follow cleanly. */
  signals?: {
    on(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
    off(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  };
  /** Set to what the process should exit with. */
  exitCode: number;
}

interface LogsFlags {
  path?: string;
  config?: string;
  runtimeEndpoint?: string;
  logRoot?: string[];
  container?: string;
  namespace: string;
  previous?: boolean;
  allContainers?: boolean;
  prefix?: boolean;
  tail?: string;
  since?: string;
  sinceTime?: string;
  follow?: boolean;
  limitBytes?: string;
  maxLineBytes?: string;
  timestamps?: boolean;
  stream?: StreamSelector;
}

const FLAG: Record<Parameters<OptionNamer>[0], string> = {
  tail: '--tail',
  since: '--since',
  limitBytes: '--limit-bytes',
  stream: '--stream',
  pollIntervalMs: 'poll interval',
  maxLineBytes: '--max-line-bytes',
};
const cliName: OptionNamer = (key) => FLAG[key];
const sinceTimeName: OptionNamer = (key) => (key === 'since' ? '--since-time' : FLAG[key]);
const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `crilog logs POD [-c CONTAINER] [-n NAMESPACE]`, `crilog logs <container-id>` and `crilog logs --path
 * <log>`: prints a container's whole log history, rotated and compressed files included, like
 * `kubectl logs`. Exit codes: 0 when the history was read (damaged or vanished files are warnings on
 * stderr), 1 when the pod, container, ID or path does not exist or cannot be reached, 2 for bad flags.
 */
export function registerLogsCommand(program: Command, deps: LogsCommandDeps): void {
  program
    .command('logs')
    .description("print a container's log history across rotations and compression, like kubectl logs")
    .argument(
      '[pod]',
      'pod name (its containers from the runtime, else from the log directories), or a container ID or unique ID prefix',
    )
    .option('-c, --container <name>', 'container of the pod (needed when it has several)')
    .option('-n, --namespace <namespace>', 'namespace of the pod', 'default')
    .option('-p, --previous', 'the previous instance of the container (the one before its last restart)')
    .option('--all-containers', 'every container of the pod, one after another (-f: side by side)')
    .option('--prefix', 'start each line with [pod/<pod>/<container>]')
    .option(
      '--path <log-path>',
      'read the live log at this path and its rotations instead of asking the runtime',
    )
    .option(
      '--config <file>',
      "the daemon's config file: its runtime endpoint and log roots (default: /etc/crilog/config.yaml when it exists)",
    )
    .option(
      '--runtime-endpoint <endpoint>',
      'CRI socket, e.g. unix:///run/containerd/containerd.sock (default: the config file, else $CONTAINER_RUNTIME_ENDPOINT)',
    )
    .option(
      '--log-root <dir>',
      'where container logs live; repeat for several; a log the runtime places elsewhere is refused (default: the config file, else /var/log/pods)',
      collect,
    )
    .option('--tail <lines>', 'only the last N lines; -1 for all (default: -1)')
    .option('--since <duration>', 'only lines newer than this, e.g. 10m or 1h30m (or an RFC 3339 time)')
    .option('--since-time <time>', 'only lines at or after this RFC 3339 time, e.g. 2026-11-27T10:00:00Z')
    .option(
      '-f, --follow',
      'keep printing new lines, across rotations, until interrupted or the container stops',
    )
    .option('--limit-bytes <bytes>', 'stop after this many bytes (a number or a quantity such as 10Mi)')
    .option(
      '--max-line-bytes <bytes>',
      'longest line shown whole; a longer one is cut there with a marker and a warning (default: 16Mi)',
    )
    .option('-t, --timestamps', 'prefix each line with its RFC 3339 timestamp')
    .addOption(
      new Option('--stream <stream>', 'which output stream to print')
        .choices(['stdout', 'stderr', 'all'])
        .default('all'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  crilog logs web                       the only container of pod web in namespace default\n' +
        '  crilog logs api -n shop -c app -f     follow container app of pod api in namespace shop\n' +
        '  crilog logs api -n shop -p --tail 50  the end of the instance before the last restart\n' +
        '  crilog logs 3f2a1b                    a container by ID prefix\n' +
        '\nWarnings (a truncated or corrupt archive, a file removed while reading) go to stderr and do not change\n' +
        'the exit code: 0 when the history was read, 1 when the pod, container, ID or log cannot be found or\n' +
        'reached, 2 for bad flags.',
    )
    .action(async (name: string | undefined, flags: LogsFlags) => {
      deps.exitCode = await runLogs(name, flags, deps);
    });
}

function checkFlags(name: string | undefined, flags: LogsFlags): void {
  if ((name === undefined) === (flags.path === undefined)) {
    throw new InvalidOptionError(
      name === undefined
        ? 'crilog logs needs a pod, a container ID or --path <log-path>: e.g. crilog logs web -n shop, crilog logs 3f2a1b or crilog logs --path /var/log/pods/ns_pod_uid/app/0.log'
        : `crilog logs got both "${name}" and --path "${flags.path}": pass one of them`,
    );
  }
  if (flags.path !== undefined) {
    for (const [set, flag] of [
      [flags.container, '-c/--container'],
      [flags.previous, '-p/--previous'],
      [flags.allContainers, '--all-containers'],
    ] as const) {
      if (set !== undefined)
        throw new InvalidOptionError({
          key: flag,
          rule: 'selects within a pod and cannot go with --path',
          hint: 'leave out one of them',
        });
    }
  }
  if (flags.allContainers && flags.container !== undefined) {
    throw new InvalidOptionError({
      key: '--all-containers',
      rule: 'cannot go with -c/--container',
      hint: 'pass one of them',
    });
  }
  if (flags.since !== undefined && flags.sinceTime !== undefined) {
    throw new InvalidOptionError({
      key: '--since',
      rule: 'cannot go with --since-time',
      hint: 'pass one of them',
    });
  }
  if (flags.sinceTime !== undefined && !/^\d{4}-\d{2}-\d{2}[Tt]/.test(flags.sinceTime)) {
    throw new InvalidOptionError({
      key: '--since-time',
      value: flags.sinceTime,
      rule: 'must be an RFC 3339 time',
      hint: 'use a form such as 2026-11-27T10:00:00Z (for a duration use --since 10m)',
    });
  }
}

async function runLogs(name: string | undefined, flags: LogsFlags, deps: LogsCommandDeps): Promise<number> {
  checkFlags(name, flags);
  const abort = new AbortController();
  const base: ReadLogsOptions = {
    tail: flags.tail === undefined ? undefined : parseTail(flags.tail),
    since: flags.sinceTime ?? flags.since,
    limitBytes:
      flags.limitBytes === undefined ? undefined : parseSize(flags.limitBytes, '--limit-bytes', '10Mi'),
    ...(flags.maxLineBytes !== undefined
      ? { maxLineBytes: parseSize(flags.maxLineBytes, '--max-line-bytes', '16Mi') }
      : {}),
    timestamps: flags.timestamps === true,
    stream: flags.stream ?? 'all',
    follow: flags.follow === true,
    signal: abort.signal,
    onWarning: (message) => void deps.stderr.write(`crilog logs: warning: ${message}\n`),
  };
  // Checked before connecting to anything, with the flags' own names in the messages.
  normalizeReadOptions(base, flags.sinceTime !== undefined ? sinceTimeName : cliName);

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
  let close = async () => {};
  try {
    let targets: LogTarget[];
    let runtime: LogsRuntime | null = null;
    if (flags.path !== undefined) {
      await mustExist(flags.path);
      targets = [{ logPath: flags.path, names: null, running: true }];
    } else {
      const resolved = await resolveTargets(name!, flags, deps);
      ({ targets, runtime } = resolved);
      close = resolved.close;
    }
    const read = (t: LogTarget) => {
      const options = { ...base, ...(flags.prefix ? { prefix: targetPrefix(t) } : {}) };
      if (runtime && t.containerId && t.running)
        return readContainerLogs(runtime, t.containerId, options, output);
      return readLogs(t.logPath, { ...options, follow: base.follow === true && t.running }, output);
    };
    if (base.follow && targets.length > 1) await Promise.all(targets.map(read));
    else for (const t of targets) if (!abort.signal.aborted) await read(t);
  } catch (err) {
    if (pipeClosed || hasEpipe(err)) return 0;
    throw err;
  } finally {
    await close();
    deps.signals?.off('SIGINT', onSignal);
    deps.signals?.off('SIGTERM', onSignal);
    output.off('error', onOutputError);
    if (output !== deps.stdout) output.end();
  }
  return 0;
}

/** The containers `name` stands for, from the runtime or, when it is unreachable, the log directories. */
async function resolveTargets(
  name: string,
  flags: LogsFlags,
  deps: LogsCommandDeps,
): Promise<{ targets: LogTarget[]; runtime: LogsRuntime | null; close: () => Promise<void> }> {
  const config = await logsConfig(flags, deps);
  const sel: Selection = {
    name,
    namespace: flags.namespace ?? 'default',
    ...(flags.container !== undefined ? { container: flags.container } : {}),
    allContainers: flags.allContainers === true,
    previous: flags.previous === true,
  };
  const conn = await connectRuntime(config, deps);
  if ('error' in conn) {
    const why = conn.error instanceof Error ? conn.error.message : String(conn.error);
    let targets: LogTarget[];
    try {
      targets = await resolveFromLayout(config.logRoots, sel);
    } catch (err) {
      if (err instanceof TargetNotFoundError) {
        throw new TargetNotFoundError(
          `${err.message}; the runtime could not be asked (${why}), so container IDs cannot be resolved either`,
          { cause: conn.error },
        );
      }
      throw err;
    }
    deps.stderr.write(
      `crilog logs: warning: the runtime could not be asked (${why}); found ${sel.namespace}/${sel.name} in the log directories, so a follow does not end when the container stops\n`,
    );
    return { targets, runtime: null, close: async () => {} };
  }
  try {
    const targets = await resolveFromRuntime(conn.runtime, sel);
    // Runtime answers are not trusted with paths: only logs inside the roots are read.
    for (const target of targets) {
      if (!(await isReallyUnderRoots(target.logPath, config.logRoots))) {
        throw new TargetNotFoundError(
          `the runtime places the log of "${name}" at "${target.logPath}", outside the log roots (${config.logRoots.join(', ')}): pass --log-root <dir> or --config naming its root, or read it with --path`,
        );
      }
    }
    return { targets, runtime: conn.runtime, close: conn.close };
  } catch (err) {
    await conn.close();
    throw err;
  }
}

/** A path that is neither a live log nor has rotations is a typo, not an empty history. */
async function mustExist(logPath: string): Promise<void> {
  try {
    await fsp.access(logPath, constants.F_OK);
    return;
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') return; // let the reader report it with its context
  }
  const { rotated } = await listLogFiles(logPath).catch(() => ({ rotated: [] }));
  if (rotated.length === 0) {
    throw new TargetNotFoundError(`no log at "${logPath}": neither the file nor rotations of it exist`);
  }
}

function parseTail(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) {
    throw new InvalidOptionError({
      key: '--tail',
      value,
      rule: 'must be a whole number',
      hint: 'use --tail 100 for the last 100 lines, or --tail -1 for all',
    });
  }
  return Number(value);
}

/** A byte count flag: a number of bytes or a quantity (`16Mi`), more than 0. */
function parseSize(value: string, flag: string, example: string): number {
  const hint = `use a number of bytes or a quantity such as ${example}`;
  let bytes: number;
  try {
    bytes = /^\d+$/.test(value.trim()) ? Number(value) : parseQuantity(value);
  } catch (cause) {
    throw new InvalidOptionError({ key: flag, value, rule: 'must be a size', hint }, { cause });
  }
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new InvalidOptionError({ key: flag, value, rule: 'must be more than 0 bytes', hint });
  }
  return bytes;
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
