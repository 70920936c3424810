import { GZIP_ENGINES, GZIP_ENGINE_ENV } from '../codecs/codec-names.js';
import { RUNTIME_ENDPOINT_ENV } from '../units/endpoint.js';
import {
  boolean,
  choice,
  codecAllowance,
  compression,
  directories,
  duration,
  endpoint,
  freeThreshold,
  filePath,
  integer,
  listenAddress,
  processes,
  quantity,
} from './kinds.js';
import { optionalSetting, setting, type ValueOf } from './setting.js';

/** Levels `--log-level` accepts (pino's). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Which runtime the daemon talks to: a CRI socket, or the embedded process runner. */
export const RUNTIME_KINDS = ['cri', 'local'] as const;
export type RuntimeKind = (typeof RUNTIME_KINDS)[number];

/** The highest `maxFiles` anywhere (node, library, annotation): beyond it a directory listing is the cost. */
export const MAX_FILES_LIMIT = 1_000_000;

// Grouped by hand: toLocaleString() would load ICU's locale data at every CLI start.
const maxFilesRule = `must be an integer from 2 to ${String(MAX_FILES_LIMIT).replace(/\B(?=(\d{3})+$)/g, ',')} (the live log plus at least one rotated file)`;

/**
 * Every setting of crilog, once. The flags, the config file's keys and schema, the library's options,
 * the annotations and their operator bounds, docs/configuration.md's tables and the Helm chart's
 * values.schema.json are all derived from this table. To add a setting, see src/settings/README.md.
 */
export const SETTINGS = {
  runtime: setting({
    kind: choice(RUNTIME_KINDS, 'must be "cri" (a CRI socket) or "local" (the embedded runtime)', 'kind'),
    flag: '--runtime',
    default: 'cri',
    library: false,
    nodeWide: true,
    help: "container runtime: cri (a CRI socket) or local (processes from the config's containers:)",
    details: '`cri` (a CRI socket) or `local` (crilog runs the `containers:` of the file itself).',
  }),
  runtimeEndpoint: optionalSetting({
    kind: endpoint,
    flag: '--runtime-endpoint',
    env: RUNTIME_ENDPOINT_ENV,
    defaultText: `$${RUNTIME_ENDPOINT_ENV}`,
    library: false,
    nodeWide: true,
    help: 'CRI socket, e.g. unix:///run/containerd/containerd.sock',
    details:
      '`unix:///abs/path.sock` or a plain absolute path. Only unix sockets: `tcp://`, `npipe://`, `http(s)://`, relative paths and `unix://host/...` are rejected. The path may be at most 107 bytes. If neither this setting nor the variable is set, `--runtime cri` fails with exit code 2.',
  }),
  logRoots: setting({
    kind: directories('[/var/log/pods]'),
    flag: '--log-root',
    default: ['/var/log/pods'],
    library: false,
    nodeWide: true,
    help: 'directory holding container logs; repeat for several; logs elsewhere are never touched',
    details:
      "At least one non-empty path. Flags replace the file's list; they are not merged with it. Duplicates are dropped. See [Log roots and symlinks](#log-roots-and-symlinks).",
  }),
  lockFile: setting({
    kind: filePath('a file path such as /run/crilog/crilog.lock'),
    flag: '--lock-file',
    default: '/run/crilog/crilog.lock',
    library: false,
    nodeWide: true,
    help: 'single-instance lock',
    details: 'A non-empty path. See [The lock file](#the-lock-file).',
  }),
  maxSize: setting({
    kind: quantity(),
    flag: '--max-size',
    annotation: 'crilog.io/max-size',
    annotationDoc: {
      value: 'quantity; negative turns rotation off for this container',
      boundedBy: ['policyMaxSize', 'policyMinSize', 'policyAllowDisable'],
    },
    kubeletKey: 'containerLogMaxSize',
    default: '10Mi',
    library: true,
    nodeWide: false,
    help: 'rotate a live log at this size; negative turns rotation off',
    details:
      "A [quantity](#sizes-and-durations) or, in the file, an integer number of bytes. A negative value turns rotation off, and with it all of crilog's work: the daemon then only serves its endpoints. `0` rotates a running container's log at every check where it is not empty (at most once per `minRotationInterval`).",
  }),
  maxFiles: setting({
    kind: integer(2, MAX_FILES_LIMIT, maxFilesRule),
    flag: '--max-files',
    annotation: 'crilog.io/max-files',
    annotationDoc: { value: 'integer ≥ 2 (digits only)', boundedBy: ['policyMaxFiles'] },
    kubeletKey: 'containerLogMaxFiles',
    default: 5,
    library: true,
    nodeWide: false,
    help: 'most files per container, the live log included',
    details:
      'An integer from 2 to 1,000,000: the most data files per container, **the live log included**, so at most `maxFiles - 1` rotations are kept.',
  }),
  workers: setting({
    kind: integer(1, 256, 'must be an integer from 1 to 256'),
    flag: '--workers',
    kubeletKey: 'containerLogMaxWorkers',
    default: 2,
    library: true,
    nodeWide: true,
    help: 'containers rotated and files compressed at once',
    details:
      'An integer from 1 to 256. Up to this many containers are checked at once. A separate limit of the same size applies to compressions running at once.',
  }),
  compressionNice: setting({
    kind: integer(0, 19, 'must be an integer nice value from 0 (normal priority) to 19 (lowest)'),
    flag: '--compression-nice',
    default: 10,
    // An embedding process owns its priorities; the daemon is a node service that must give way.
    libraryDefault: 0,
    library: true,
    nodeWide: true,
    help: 'CPU nice value (0-19) of the compression threads: compression gives way to rotations and workloads on a busy node',
    details:
      "An integer from 0 to 19: the CPU nice value of the compression threads (Linux; elsewhere ignored). Compression runs on `workers` worker threads; at a positive nice value it still uses idle CPU fully but gives way to rotations and to workloads when the node is busy, so a fast writer is rotated on time even when the CPU is saturated. The library's default is 0. See [Compression](#compression).",
  }),
  gzipEngine: optionalSetting({
    kind: choice(GZIP_ENGINES, 'must be "auto", "libdeflate" or "zlib"', 'engine'),
    flag: '--gzip-engine',
    env: GZIP_ENGINE_ENV,
    defaultText: 'auto',
    library: true,
    nodeWide: true,
    help: 'deflate engine of gzip compression: auto (libdeflate when its binding is built, else zlib), libdeflate or zlib',
    details:
      "`auto`, `libdeflate` or `zlib`. `auto` uses crilog's optional libdeflate binding when it was built at install (about half the CPU of zlib at the same gzip level, see [Compression](#compression)), Node's zlib otherwise; `zlib` is the escape hatch that needs no reinstall; `libdeflate` makes a missing binding an error at start. Either engine writes gzip that every gzip reader accepts. Read from the environment variable when neither the flag nor the file sets it. Fixed while the daemon runs.",
  }),
  monitorInterval: setting({
    kind: duration({ example: '10s', timer: true }),
    flag: '--monitor-interval',
    kubeletKey: 'containerLogMonitorInterval',
    default: '10s',
    library: true,
    nodeWide: true,
    help: 'how often containers are listed and changed logs checked; fast writers are rotated as they reach the limit without waiting for it',
    details:
      'A positive [duration](#sizes-and-durations), at most 24d20h31m23.647s (a Node.js timer). See [What `--monitor-interval` means](#what---monitor-interval-means).',
  }),
  minRotationInterval: setting({
    kind: duration({
      example: '100ms',
      zero: true,
      max: { ms: 3_600_000, rule: 'must be a duration from 0 to 1h such as 100ms' },
    }),
    flag: '--min-rotation-interval',
    default: '100ms',
    library: true,
    nodeWide: true,
    help: 'least time between two rotations of one container, so a tiny limit cannot start a rotation storm; 0 for none',
    details:
      'A [duration](#sizes-and-durations) from `0` (no limit) to `1h`: the least time between two rotation attempts of one container, so a tiny limit or a runaway writer cannot start a rotation storm. At the default a container is rotated at most 10 times a second (100 MB/s at a 10Mi limit); over that its log grows past the limit until the interval has passed. See [security.md](security.md#no-rotation-storms).',
  }),
  maxAge: optionalSetting({
    kind: duration({ example: '7d' }),
    flag: '--max-age',
    annotation: 'crilog.io/max-age',
    annotationDoc: { value: 'positive duration with a unit', boundedBy: ['policyMinAge'] },
    defaultText: 'none (files are kept by count only)',
    library: true,
    nodeWide: false,
    help: 'delete rotated files older than this, e.g. 7d',
    details: 'A positive duration, e.g. `7d`. See [max-age](#max-age).',
  }),
  maxTotalSize: optionalSetting({
    kind: quantity({
      positive: { rule: 'must be a positive size such as 5Gi', hint: 'leave it out for no budget' },
    }),
    flag: '--max-total-size',
    defaultText: 'none (no budget)',
    library: true,
    nodeWide: true,
    help: 'byte budget for all managed logs of the node, e.g. 5Gi: the oldest rotated files of the biggest users go first',
    details:
      'A positive quantity (or, in the file, a positive integer of bytes), e.g. `5Gi`. See [Node budget](#node-budget).',
  }),
  minFree: setting({
    kind: freeThreshold('5Gi'),
    flag: '--min-free',
    default: '10%',
    // An embedding process may not own the disk it runs on; the daemon is the node's guard against a full one.
    libraryDefault: '0',
    library: true,
    nodeWide: true,
    help: "least free space on the log roots' filesystems, e.g. 10% or 5Gi: below it crilog compresses, deletes the oldest rotations and rotates large logs early, never a live log; 0 turns it off",
    details:
      "A percentage of the filesystem or a quantity of bytes. The library's default is 0 (off). See [Disk pressure](#disk-pressure).",
  }),
  minFreeInodes: setting({
    kind: freeThreshold('100k'),
    flag: '--min-free-inodes',
    default: '5%',
    libraryDefault: '0',
    library: true,
    nodeWide: true,
    help: "least free inodes on the log roots' filesystems, e.g. 5% or 100k; 0 turns it off",
    details:
      "A percentage of the filesystem's inodes or a count. The library's default is 0 (off). See [Disk pressure](#disk-pressure).",
  }),
  minRotatedAge: optionalSetting({
    kind: duration({ example: '5m' }),
    flag: '--min-rotated-age',
    defaultText: 'none',
    library: true,
    // The grace period is for the node's shipper, not a tenant's: and a longer one would loosen maxFiles.
    nodeWide: true,
    help: 'grace period for log shippers: rotated files younger than this are neither compressed nor deleted (except under disk pressure); maxFiles may be exceeded for that long',
    details: 'See [A grace period for log shippers](#a-grace-period-for-log-shippers).',
  }),
  maxInterval: optionalSetting({
    kind: duration({ example: '1h' }),
    flag: '--max-interval',
    defaultText: 'none (rotation by size only)',
    library: true,
    nodeWide: true,
    help: 'rotate a non-empty live log at least this often, e.g. 1h',
    details: 'See [Time-based rotation](#time-based-rotation).',
  }),
  compression: setting({
    kind: compression,
    flag: '--compression',
    annotation: 'crilog.io/compression',
    annotationDoc: { value: '`gzip`, `gzip:N`, `zstd`, `zstd:N`, `none`', boundedBy: ['policyCompression'] },
    default: 'gzip:6',
    library: true,
    nodeWide: false,
    help: 'gzip, gzip:<1-9>, zstd, zstd:<1-19> or none',
    details:
      "`gzip`, `gzip:<1-9>`, `zstd`, `zstd:<1-19>` or `none`. In the file it may also be a mapping such as `{ codec: gzip, level: 6 }`. A gzip level N means output no larger than `gzip -N`'s on log data, on either gzip engine. See [Compression](#compression).",
  }),
  compressionLevel: optionalSetting({
    kind: integer(-Infinity, Infinity, 'must be an integer level of the codec'),
    flag: '--compression-level',
    file: false,
    defaultText: "the codec's default (gzip 6, zstd 3)",
    library: true,
    nodeWide: false,
    help: 'level of the codec (gzip 1-9, zstd 1-19)',
    details:
      "An integer in the codec's range. It applies to the codec chosen by `--compression`, else by the file, else gzip, and is an error with `none`. `compressionLevel` is not a file key: write `compression: { codec: …, level: … }` instead.",
  }),
  delayCompress: setting({
    kind: boolean,
    flag: '--delay-compress',
    default: true,
    library: true,
    nodeWide: true,
    help: 'keep the newest rotated file uncompressed until the next rotation',
    details: '`true` or `false`. See [Compression](#compression).',
  }),
  policyAnnotations: setting({
    kind: boolean,
    flag: '--policy-annotations',
    default: true,
    library: true,
    nodeWide: true,
    help: 'let crilog.io/* pod annotations override these limits per container, within the policy bounds',
    details:
      "`true` or `false`: whether `crilog.io/*` keys on a container override the node's limits. See [Per-container policy](#per-container-policy).",
  }),
  policyMaxSize: optionalSetting({
    kind: quantity(),
    flag: '--policy-max-size',
    defaultText: "the node's maxSize",
    library: true,
    nodeWide: true,
    help: 'the highest crilog.io/max-size honoured; a larger one is clamped to it',
    details: 'A quantity. See [Per-container policy](#per-container-policy).',
  }),
  policyMinSize: optionalSetting({
    kind: quantity(),
    flag: '--policy-min-size',
    defaultText: "1Mi or the node's maxSize, whichever is smaller",
    library: true,
    nodeWide: true,
    help: 'the lowest crilog.io/max-size honoured; a smaller one is clamped to it',
    details: 'A quantity. It also keeps a tenant from a rotation storm with `crilog.io/max-size: 0`.',
  }),
  policyMaxFiles: optionalSetting({
    kind: integer(2, MAX_FILES_LIMIT, maxFilesRule),
    flag: '--policy-max-files',
    defaultText: "the node's maxFiles",
    library: true,
    nodeWide: true,
    help: 'the highest crilog.io/max-files honoured; a larger one is clamped to it',
    details: 'An integer from 2 to 1,000,000.',
  }),
  policyMinAge: optionalSetting({
    kind: duration({ example: '1h' }),
    flag: '--policy-min-age',
    defaultText: 'none',
    library: true,
    nodeWide: true,
    help: 'the shortest crilog.io/max-age honoured; a shorter one is clamped to it',
    details: 'A positive duration, e.g. `1h`.',
  }),
  policyCompression: setting({
    kind: codecAllowance,
    flag: '--policy-compression',
    default: 'gzip,none',
    library: true,
    nodeWide: true,
    help: "codecs and levels crilog.io/compression may choose, e.g. gzip:1-6,zstd:1-3,none; others fall back to the node's compression",
    details:
      "A comma-separated list (in the file also a YAML list) of `codec` (any level), `codec:N`, `codec:N-M` and `none`. A level outside an allowed range is clamped; another codec falls back to the node's `compression`.",
  }),
  policyAllowDisable: setting({
    kind: boolean,
    flag: '--policy-allow-disable',
    default: false,
    library: true,
    nodeWide: true,
    help: 'let a negative crilog.io/max-size switch rotation off for a container',
    details: "`true` or `false`. Refused, the node's `maxSize` applies.",
  }),
  metricsAddress: setting({
    kind: listenAddress,
    flag: '--metrics-address',
    default: '127.0.0.1:9753',
    library: false,
    nodeWide: true,
    help: 'where /metrics, /healthz, /readyz and /status listen',
    details:
      '`host:port` or `[ipv6]:port`, always with an explicit host (`:9753` is rejected, so that every interface is never bound by accident). The port is 0 to 65535; 0 picks a free port. Serves `/metrics`, `/healthz`, `/readyz` and `/status` ([metrics.md](metrics.md)).',
  }),
  perContainerMetrics: setting({
    kind: boolean,
    flag: '--per-container-metrics',
    default: true,
    library: false,
    nodeWide: true,
    help: 'export per-container metric series (namespace, pod, container, container_id labels); turn off on nodes with very many containers',
    details:
      '`true` or `false`. Off, `crilog_live_log_size_ratio` and `crilog_container_rotated_bytes_total` are not exported; every node-wide series stays. See [metrics.md](metrics.md#per-container-series).',
  }),
  logLevel: setting({
    kind: choice(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`, 'level'),
    flag: '--log-level',
    default: 'info',
    library: false,
    nodeWide: true,
    help: LOG_LEVELS.join(', '),
    details:
      '`trace`, `debug`, `info`, `warn`, `error`, `fatal` or `silent`. The daemon writes JSON lines to stdout. One-shot commands log to stderr at `warn` unless `--log-level` is given.',
  }),
  containers: setting({
    kind: processes,
    default: [],
    library: false,
    nodeWide: true,
    help: 'file only, with runtime: local: the processes crilog runs',
    details:
      'File only, and only with `runtime: local`: the processes crilog runs. Each entry has `name` (1-63 characters from letters, digits, `.`, `_` and `-`, starting with a letter or digit), `command` (run without a shell), and optionally `args`, `env`, `cwd`, `restart` (`never` (the default), `on-failure` or `always`), `labels` and `annotations`. Their logs go to `<first log root>/<name>/`.',
  }),
} as const;

/** The key of a setting: its config key and its library option name. */
export type SettingKey = keyof typeof SETTINGS;

/** Every setting resolved: units applied, paths absolute, `null` where unset and without default. */
export type Settings = { -readonly [K in SettingKey]: ValueOf<(typeof SETTINGS)[K]> };

/** The table as a list, in its order. */
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];
