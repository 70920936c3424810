import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { InvalidOptionError } from '../errors/crilog-error.js';
import { parseRuntimeEndpoint } from '../runtime/cri/endpoint.js';
import { validateProcessSpec, type ProcessSpec } from '../runtime/local/process-spec.js';
import { parseCompression, type CompressionPolicy } from '../policy/container-policy.js';
import { parseDuration } from './duration.js';
import { parseQuantity } from './quantity.js';

/** Which runtime the daemon talks to: a CRI socket, or the embedded process runner. */
export type RuntimeKind = 'cri' | 'local';

/** Levels `--log-level` accepts (pino's). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A `host:port` the HTTP server listens on. */
export interface ListenAddress {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** As written, for messages. */
  text: string;
}

/** The daemon's settings after merging flags, file and defaults; everything validated. */
export interface DaemonConfig {
  runtime: RuntimeKind;
  /** As given by flag or file; when absent the CRI factory falls back to `CONTAINER_RUNTIME_ENDPOINT`. */
  runtimeEndpoint?: string;
  /** Absolute directories; log paths outside all of them are never touched. */
  logRoots: string[];
  /** Absolute path of the single-instance lock. */
  lockFile: string;
  /** Bytes; negative disables rotation (kubelet semantics). */
  maxSize: number;
  maxFiles: number;
  workers: number;
  /** Nice value of the compression threads (Linux). */
  compressionNice: number;
  monitorIntervalMs: number;
  metricsAddress: ListenAddress;
  logLevel: LogLevel;
  /** Rotated files older than this are deleted; `null`: kept by count only. */
  maxAgeMs: number | null;
  /** Byte budget for all managed logs of the node; `null`: none. */
  maxTotalSize: number | null;
  compression: CompressionPolicy;
  /** Keep the newest rotated file raw until the next rotation. */
  delayCompress: boolean;
  /** Let `crilog.io/*` annotations override the node policy per container. */
  policyAnnotations: boolean;
  /** Processes the local runtime runs; always empty for `cri`. */
  containers: ProcessSpec[];
  /** The `--config` file, if any. */
  configFile?: string;
}

/** Defaults, as a user would write them. */
export const DAEMON_DEFAULTS = {
  runtime: 'cri',
  logRoots: ['/var/log/pods'],
  lockFile: '/run/crilog/crilog.lock',
  maxSize: '10Mi',
  maxFiles: 5,
  workers: 2,
  compressionNice: 10,
  monitorInterval: '10s',
  metricsAddress: '127.0.0.1:9753',
  logLevel: 'info',
  compression: 'gzip:6',
  delayCompress: true,
  policyAnnotations: true,
} as const;

/** Each config key and the flag that sets it. `containers` is file-only. */
export const FLAG_OF: Readonly<Record<string, string>> = {
  runtime: '--runtime',
  runtimeEndpoint: '--runtime-endpoint',
  logRoots: '--log-root',
  lockFile: '--lock-file',
  maxSize: '--max-size',
  maxFiles: '--max-files',
  workers: '--workers',
  compressionNice: '--compression-nice',
  monitorInterval: '--monitor-interval',
  metricsAddress: '--metrics-address',
  logLevel: '--log-level',
  maxAge: '--max-age',
  maxTotalSize: '--max-total-size',
  compression: '--compression',
  'compression.codec': '--compression',
  'compression.level': '--compression-level',
  compressionLevel: '--compression-level',
  delayCompress: '--[no-]delay-compress',
  policyAnnotations: '--[no-]policy-annotations',
};

/** Raw flag values as commander hands them over (strings; `logRoot` repeated). */
export interface DaemonFlags {
  runtime?: string;
  runtimeEndpoint?: string;
  logRoot?: string[];
  lockFile?: string;
  maxSize?: string;
  maxFiles?: string;
  workers?: string;
  compressionNice?: string;
  monitorInterval?: string;
  metricsAddress?: string;
  logLevel?: string;
  maxAge?: string;
  maxTotalSize?: string;
  compression?: string;
  compressionLevel?: string;
  delayCompress?: boolean;
  policyAnnotations?: boolean;
}

/** Turns a thrown parser error into a zod issue on the current key. */
function semantic<T>(ctx: z.RefinementCtx, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^invalid [^:]+: /, '') });
    return z.NEVER;
  }
}

const int = (min: number, max: number, rule: string) =>
  z.number({ error: rule }).int({ error: rule }).min(min, { error: rule }).max(max, { error: rule });
const pathString = (what: string) =>
  z.string({ error: `must be ${what}` }).min(1, { error: `must be ${what}` });

const schema = z.strictObject({
  runtime: z
    .enum(['cri', 'local'], { error: 'must be "cri" (a CRI socket) or "local" (the embedded runtime)' })
    .optional(),
  runtimeEndpoint: z
    .string({ error: 'must be a unix socket endpoint such as unix:///run/containerd/containerd.sock' })
    .transform((v, ctx) => semantic(ctx, () => parseRuntimeEndpoint(v, 'option').raw))
    .optional(),
  logRoots: z
    .array(pathString('a directory path'), { error: 'must be a list of directories, e.g. [/var/log/pods]' })
    .min(1, { error: 'must name at least one directory, e.g. [/var/log/pods]' })
    .optional(),
  lockFile: pathString('a file path such as /run/crilog/crilog.lock').optional(),
  maxSize: z
    .union([z.string(), z.number()], { error: 'must be a quantity such as 10Mi or a number of bytes' })
    .transform((v, ctx) =>
      semantic(ctx, () => {
        if (typeof v === 'number' && !Number.isSafeInteger(v))
          throw new Error('a number must be a whole count of bytes; use e.g. 10485760 or "10Mi"');
        return typeof v === 'number' ? v : parseQuantity(v);
      }),
    )
    .optional(),
  maxFiles: int(
    2,
    1_000_000,
    'must be an integer greater than 1 (the live log plus at least one rotated file)',
  ).optional(),
  workers: int(1, 256, 'must be an integer from 1 to 256').optional(),
  compressionNice: int(
    0,
    19,
    'must be an integer nice value from 0 (normal priority) to 19 (lowest)',
  ).optional(),
  monitorInterval: z
    .string({ error: 'must be a duration such as 10s or 1m30s' })
    .transform((v, ctx) =>
      semantic(ctx, () => {
        const ms = parseDuration(v, 'monitorInterval');
        if (!(ms > 0)) throw new Error('must be a positive duration such as 10s');
        return ms;
      }),
    )
    .optional(),
  metricsAddress: z
    .string({ error: 'must be host:port such as 127.0.0.1:9753' })
    .transform((v, ctx) => semantic(ctx, () => parseListenAddress(v)))
    .optional(),
  logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).optional(),
  maxAge: z
    .string({ error: 'must be a duration such as 7d or 168h' })
    .transform((v, ctx) =>
      semantic(ctx, () => {
        const ms = parseDuration(v, 'maxAge');
        if (!(ms > 0)) throw new Error('must be a positive duration such as 7d');
        return ms;
      }),
    )
    .optional(),
  maxTotalSize: z
    .union([z.string(), z.number()], { error: 'must be a quantity such as 5Gi or a number of bytes' })
    .transform((v, ctx) =>
      semantic(ctx, () => {
        const bytes = typeof v === 'number' ? v : parseQuantity(v);
        if (!Number.isSafeInteger(bytes) || bytes <= 0)
          throw new Error('must be a positive size such as 5Gi; leave it out for no budget');
        return bytes;
      }),
    )
    .optional(),
  compression: z
    .union(
      [
        z.string(),
        z.strictObject({
          codec: z.enum(['gzip', 'zstd', 'none'], { error: 'must be gzip, zstd or none' }),
          level: z
            .number({ error: 'must be an integer level of the codec' })
            .int({ error: 'must be an integer level of the codec' })
            .optional(),
        }),
      ],
      {
        error:
          'must be gzip, gzip:<1-9>, zstd, zstd:<1-19>, none, or a mapping such as { codec: gzip, level: 6 }',
      },
    )
    .transform((v) => (typeof v === 'string' ? v : v.level === undefined ? v.codec : `${v.codec}:${v.level}`))
    .optional(),
  compressionLevel: z
    .number({ error: 'must be an integer level of the codec' })
    .int({ error: 'must be an integer level of the codec' })
    .optional(),
  delayCompress: z.boolean({ error: 'must be true or false' }).optional(),
  policyAnnotations: z.boolean({ error: 'must be true or false' }).optional(),
  containers: z
    .array(z.unknown(), { error: 'must be a list of processes, each with at least name and command' })
    .transform((list, ctx) =>
      list.map((item, i) => {
        try {
          return validateProcessSpec(item, `containers[${i}]`);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message, path: [i] });
          return z.NEVER;
        }
      }),
    )
    .optional(),
});

type Parsed = z.output<typeof schema>;

/** Keys a config file may hold (`compressionLevel` is the flag's; the file says `compression.level`). */
const FILE_KEYS = Object.keys(schema.shape).filter((k) => k !== 'compressionLevel');

/**
 * `host:port` or `[v6]:port`. The host must be explicit: binding every interface by accident would
 * publish the metrics to the whole network.
 */
export function parseListenAddress(text: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new InvalidOptionError(
      `invalid metrics address "${text}": must be host:port with a port from 0 to 65535, e.g. 127.0.0.1:9753, 0.0.0.0:9753 or [::1]:9753`,
    );
  }
  return { host: (m[1] ?? m[2]) as string, port, text };
}

/** Reads and parses a YAML config file; unreadable or malformed files are usage errors. */
export async function readConfigFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'it does not exist'
        : code === 'EACCES'
          ? 'permission denied'
          : (cause as Error).message;
    throw new InvalidOptionError(`cannot read config file "${file}": ${why}; check the --config path`, {
      cause,
    });
  }
  let doc: unknown;
  // Loaded here: the YAML parser is a large part of the CLI's start-up time, and most runs have no file.
  const { parse } = await import('yaml');
  try {
    doc = parse(text, { prettyErrors: true });
  } catch (cause) {
    throw new InvalidOptionError(`config file "${file}" is not valid YAML: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new InvalidOptionError(
      `config file "${file}" must hold a mapping of keys such as "maxSize: 10Mi", got ${Array.isArray(doc) ? 'a list' : JSON.stringify(doc)}`,
    );
  }
  return doc;
}

/** Flags as an object shaped like the file, numbers converted where the text is a plain integer. */
function flagsAsConfig(flags: DaemonFlags): Record<string, unknown> {
  const num = (v: string) => (/^[+-]?\d+$/.test(v.trim()) ? Number(v) : v);
  const out: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined) out[key] = value;
  };
  set('runtime', flags.runtime);
  set('runtimeEndpoint', flags.runtimeEndpoint);
  set('logRoots', flags.logRoot && flags.logRoot.length > 0 ? flags.logRoot : undefined);
  set('lockFile', flags.lockFile);
  set('maxSize', flags.maxSize);
  set('maxFiles', flags.maxFiles === undefined ? undefined : num(flags.maxFiles));
  set('workers', flags.workers === undefined ? undefined : num(flags.workers));
  set('compressionNice', flags.compressionNice === undefined ? undefined : num(flags.compressionNice));
  set('monitorInterval', flags.monitorInterval);
  set('metricsAddress', flags.metricsAddress);
  set('logLevel', flags.logLevel);
  set('maxAge', flags.maxAge);
  set('maxTotalSize', flags.maxTotalSize);
  set('compression', flags.compression);
  set('compressionLevel', flags.compressionLevel === undefined ? undefined : num(flags.compressionLevel));
  set('delayCompress', flags.delayCompress);
  set('policyAnnotations', flags.policyAnnotations);
  return out;
}

function valueAt(input: unknown, at: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of at)
    v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Closest known key, for "did you mean" hints (case and separators ignored, then edit distance 2). */
function suggest(key: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const exact = known.find((k) => norm(k) === norm(key) || norm(k) === `${norm(key)}s`);
  if (exact) return exact;
  const dist = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i]![j] = Math.min(
          d[i - 1]![j]! + 1,
          d[i]![j - 1]! + 1,
          d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
    return d[a.length]![b.length]!;
  };
  return known.find((k) => dist(norm(k), norm(key)) <= 2);
}

/** Validates one source; returns messages naming key (or flag), value and rule. */
function validate(input: unknown, source: { file?: string }): { data?: Parsed; problems: string[] } {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return { data: result.data, problems: [] };
  const problems = result.error.issues.map((issue) => {
    const at = issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
      .join('.')
      .replace(/\.\[/g, '[');
    if (issue.code === 'unrecognized_keys') {
      const scope = at === '' ? FILE_KEYS : at === 'compression' ? ['codec', 'level'] : [];
      return issue.keys
        .map((k) => {
          const hint = suggest(k, scope);
          const where = source.file ? `config file "${source.file}"` : 'flags';
          return `${where}: unknown key "${at ? `${at}.` : ''}${k}"${hint ? ` (did you mean "${hint}"?)` : ''}; known keys: ${scope.join(', ')}`;
        })
        .join('\n');
    }
    const value = valueAt(input, issue.path);
    const top = issue.path.length === 0 ? '' : at;
    if (!source.file) {
      const flag = FLAG_OF[at] ?? FLAG_OF[String(issue.path[0])] ?? at;
      return `${flag} ${show(value)} is invalid: ${issue.message}`;
    }
    if (top === '') return `config file "${source.file}": ${issue.message}`;
    if (top.startsWith('containers[')) return `config file "${source.file}": ${issue.message}`;
    return `config file "${source.file}": ${top}: ${show(value)} is invalid: ${issue.message}`;
  });
  return { problems };
}

/**
 * The codec and level from `--compression`/`--compression-level` over the file's `compression`, checked
 * together (levels depend on the codec; zstd needs its optional package). Problems name the source.
 */
function resolveCompression(
  c: Parsed,
  f: Parsed,
  file: string | undefined,
  problems: string[],
): CompressionPolicy | undefined {
  const spec = c.compression ?? f.compression ?? DAEMON_DEFAULTS.compression;
  const level = c.compressionLevel;
  const full = level === undefined ? spec : `${spec.split(':')[0]}:${level}`;
  try {
    return parseCompression(full);
  } catch (err) {
    const why = (err as Error).message.replace(/^invalid compression "[^"]*": /, '');
    if (level !== undefined) problems.push(`--compression-level ${level} is invalid: ${why}`);
    else if (c.compression !== undefined) problems.push(`--compression "${spec}" is invalid: ${why}`);
    else problems.push(`config file "${file}": compression: "${spec}" is invalid: ${why}`);
    return undefined;
  }
}

/** Resolves a path from a flag against the working directory and one from the file against the file's directory. */
function absolute(p: string, base: string): string {
  return path.resolve(base, p);
}

/**
 * Merges flags over the config file over the defaults, and validates all of it. Every problem of both
 * sources is reported at once (one per line) as an `InvalidOptionError`, which the CLI maps to exit code 2.
 * Relative paths in the file are taken relative to the file, on the command line relative to `cwd`.
 */
export function resolveDaemonConfig(opts: {
  flags?: DaemonFlags;
  file?: unknown;
  configFile?: string;
  cwd?: string;
}): DaemonConfig {
  const cwd = opts.cwd ?? process.cwd();
  const fileBase = opts.configFile ? path.dirname(path.resolve(cwd, opts.configFile)) : cwd;
  const fromFile = validate(opts.file ?? {}, { file: opts.configFile ?? '(inline)' });
  const fromFlags = validate(flagsAsConfig(opts.flags ?? {}), {});
  const problems = [...fromFlags.problems, ...fromFile.problems];
  const f: Parsed = fromFile.data ?? {};
  const c: Parsed = fromFlags.data ?? {};
  const runtime = c.runtime ?? f.runtime ?? DAEMON_DEFAULTS.runtime;
  const containers = f.containers ?? [];
  if (runtime === 'cri' && containers.length > 0) {
    problems.push(
      `config file "${opts.configFile}": containers: only the local runtime runs processes; add "runtime: local" (or --runtime local) or remove the containers list`,
    );
  }
  if (f.compressionLevel !== undefined) {
    problems.push(
      `config file "${opts.configFile}": unknown key "compressionLevel" (did you mean "compression.level"?); write compression: { codec: gzip, level: ${f.compressionLevel} }`,
    );
  }
  const compression = resolveCompression(c, f, opts.configFile, problems);
  if (problems.length > 0 || !compression) throw new InvalidOptionError(problems.join('\n'));
  const runtimeEndpoint = c.runtimeEndpoint ?? f.runtimeEndpoint;
  const roots = c.logRoots
    ? c.logRoots.map((r) => absolute(r, cwd))
    : (f.logRoots ?? DAEMON_DEFAULTS.logRoots).map((r) => absolute(r, fileBase));
  return {
    runtime,
    ...(runtimeEndpoint !== undefined ? { runtimeEndpoint } : {}),
    logRoots: [...new Set(roots)],
    lockFile: c.lockFile
      ? absolute(c.lockFile, cwd)
      : absolute(f.lockFile ?? DAEMON_DEFAULTS.lockFile, fileBase),
    maxSize: c.maxSize ?? f.maxSize ?? parseQuantity(DAEMON_DEFAULTS.maxSize),
    maxFiles: c.maxFiles ?? f.maxFiles ?? DAEMON_DEFAULTS.maxFiles,
    workers: c.workers ?? f.workers ?? DAEMON_DEFAULTS.workers,
    compressionNice: c.compressionNice ?? f.compressionNice ?? DAEMON_DEFAULTS.compressionNice,
    monitorIntervalMs:
      c.monitorInterval ??
      f.monitorInterval ??
      parseDuration(DAEMON_DEFAULTS.monitorInterval, 'monitorInterval'),
    metricsAddress:
      c.metricsAddress ?? f.metricsAddress ?? parseListenAddress(DAEMON_DEFAULTS.metricsAddress),
    logLevel: c.logLevel ?? f.logLevel ?? DAEMON_DEFAULTS.logLevel,
    maxAgeMs: c.maxAge ?? f.maxAge ?? null,
    maxTotalSize: c.maxTotalSize ?? f.maxTotalSize ?? null,
    compression,
    delayCompress: c.delayCompress ?? f.delayCompress ?? DAEMON_DEFAULTS.delayCompress,
    policyAnnotations: c.policyAnnotations ?? f.policyAnnotations ?? DAEMON_DEFAULTS.policyAnnotations,
    containers,
    ...(opts.configFile ? { configFile: path.resolve(cwd, opts.configFile) } : {}),
  };
}

/** Reads `--config` (if given) and resolves it with the flags: the one entry point of every command. */
export async function loadDaemonConfig(
  flags: DaemonFlags & { config?: string },
  cwd = process.cwd(),
): Promise<DaemonConfig> {
  const { config, ...rest } = flags;
  const file = config ? await readConfigFile(path.resolve(cwd, config)) : undefined;
  return resolveDaemonConfig({ flags: rest, file, ...(config ? { configFile: config } : {}), cwd });
}
