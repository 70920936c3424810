import { Option, type Command } from 'commander';
import {
  DAEMON_DEFAULTS,
  LOG_LEVELS,
  loadDaemonConfig,
  type DaemonConfig,
  type DaemonFlags,
} from '../config/daemon-config.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * Adds the settings every command shares with `crilog daemon`, so that `rotate --once`, `status` and
 * `clean` see exactly what the daemon sees. No commander defaults: an absent flag must not override the
 * config file. Values are validated later, together with the file, by `loadDaemonConfig`.
 */
export function addConfigOptions(cmd: Command): Command {
  const d = DAEMON_DEFAULTS;
  return cmd
    .option(
      '--config <file>',
      'YAML config file; keys mirror the flags in camelCase (flags win over the file)',
    )
    .addOption(
      new Option(
        '--runtime <kind>',
        `container runtime: cri (a CRI socket) or local (processes from the config's containers:) (default: ${d.runtime})`,
      ),
    )
    .option(
      '--runtime-endpoint <endpoint>',
      'CRI socket, e.g. unix:///run/containerd/containerd.sock (default: $CONTAINER_RUNTIME_ENDPOINT)',
    )
    .option(
      '--log-root <dir>',
      `directory holding container logs; repeat for several; logs elsewhere are never touched (default: ${d.logRoots.join(', ')})`,
      collect,
    )
    .option('--lock-file <file>', `single-instance lock (default: ${d.lockFile})`)
    .option(
      '--max-size <quantity>',
      `rotate a live log at this size; negative turns rotation off (default: ${d.maxSize})`,
    )
    .option('--max-files <n>', `most files per container, the live log included (default: ${d.maxFiles})`)
    .option('--workers <n>', `containers rotated and files compressed at once (default: ${d.workers})`)
    .option(
      '--compression-nice <n>',
      `CPU nice value (0-19) of the compression threads: compression gives way to rotations and workloads on a busy node (default: ${d.compressionNice})`,
    )
    .option(
      '--monitor-interval <duration>',
      `how often containers are listed and changed logs checked; fast writers are rotated as they reach the limit without waiting for it (default: ${d.monitorInterval})`,
    )
    .option(
      '--max-age <duration>',
      'delete rotated files older than this, e.g. 7d (default: keep by count only)',
    )
    .option(
      '--max-total-size <quantity>',
      'byte budget for all managed logs of the node, e.g. 5Gi: the oldest rotated files of the biggest users go first (default: none)',
    )
    .option(
      '--compression <codec>',
      `gzip, gzip:<1-9>, zstd, zstd:<1-19> or none (default: ${d.compression})`,
    )
    .option('--compression-level <n>', 'level of the codec (gzip 1-9, zstd 1-19)')
    .option('--delay-compress', 'keep the newest rotated file uncompressed until the next rotation (default)')
    .option('--no-delay-compress', 'compress every rotated file at once')
    .option(
      '--policy-annotations',
      'let crilog.io/* pod annotations override these limits per container (default)',
    )
    .option('--no-policy-annotations', 'ignore crilog.io/* annotations')
    .option(
      '--metrics-address <host:port>',
      `where /metrics, /healthz, /readyz and /status listen (default: ${d.metricsAddress})`,
    )
    .option('--log-level <level>', `${LOG_LEVELS.join(', ')} (default: ${d.logLevel})`);
}

/** Commander's parsed options of `addConfigOptions`. */
export type ConfigOptionValues = DaemonFlags & { config?: string };

/** Loads the config file named by `--config` and merges the flags over it. */
export function configFromOptions(opts: ConfigOptionValues, cwd: string): Promise<DaemonConfig> {
  const flags: DaemonFlags & { config?: string } = {};
  for (const key of [
    'config',
    'runtime',
    'runtimeEndpoint',
    'logRoot',
    'lockFile',
    'maxSize',
    'maxFiles',
    'workers',
    'compressionNice',
    'monitorInterval',
    'maxAge',
    'maxTotalSize',
    'compression',
    'compressionLevel',
    'delayCompress',
    'policyAnnotations',
    'metricsAddress',
    'logLevel',
  ] as const) {
    if (opts[key] !== undefined) (flags as Record<string, unknown>)[key] = opts[key];
  }
  return loadDaemonConfig(flags, cwd);
}
