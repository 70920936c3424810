/**
 * The keys `crilog daemon --config FILE` accepts, and a checker for the config files
 * that deploy/ ships. This list is written from the daemon's specification so that it
 * does not move with the daemon's code; `daemon-config.test.ts` additionally runs every
 * shipped config through the daemon's own validator.
 */

/** Top-level keys of config.yaml and a check of each value. */
const KEYS: Record<string, (v: unknown) => boolean> = {
  runtime: (v) => v === 'cri' || v === 'local',
  runtimeEndpoint: (v) => typeof v === 'string' && /^unix:\/\/\/\S+$/.test(v),
  lockFile: (v) => typeof v === 'string' && v.startsWith('/'),
  maxSize: (v) => typeof v === 'string' && /^\d+(Ki|Mi|Gi|Ti)?$/.test(v),
  maxFiles: (v) => Number.isInteger(v) && (v as number) > 1,
  workers: (v) => Number.isInteger(v) && (v as number) >= 1,
  compressionNice: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 19,
  monitorInterval: (v) => typeof v === 'string' && /^\d+(ms|s|m|h)$/.test(v),
  metricsAddress: (v) => typeof v === 'string' && /^[\w.:[\]-]+:\d{1,5}$/.test(v),
  logLevel: (v) =>
    typeof v === 'string' && ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(v),
  logRoots: (v) =>
    Array.isArray(v) && v.length > 0 && v.every((p) => typeof p === 'string' && p.startsWith('/')),
  compression: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
};

const COMPRESSION_KEYS: Record<string, (v: unknown) => boolean> = {
  // Which codecs a given build supports is the daemon's call (daemon-config.test.ts).
  codec: (v) => v === 'gzip' || v === 'zstd',
  level: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 22,
};

/** The daemon's defaults, for checking that the shipped example documents them faithfully. */
export const DAEMON_DEFAULTS = {
  runtimeEndpoint: 'unix:///run/containerd/containerd.sock',
  maxSize: '10Mi',
  maxFiles: 5,
  workers: 2,
  compressionNice: 10,
  monitorInterval: '10s',
  metricsAddress: '127.0.0.1:9753',
  logLevel: 'info',
  logRoots: ['/var/log/pods'],
  lockFile: '/run/crilog/crilog.lock',
  compression: { codec: 'gzip', level: 6 },
} as const;

/** Returns one message per unknown key or implausible value; empty when the config is fine. */
export function configProblems(config: unknown, source: string): string[] {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    return [`${source}: config must be a mapping, got ${JSON.stringify(config)}`];
  }
  const problems: string[] = [];
  const check = (obj: object, rules: Record<string, (v: unknown) => boolean>, prefix: string): void => {
    for (const [key, value] of Object.entries(obj)) {
      const rule = rules[key];
      if (!rule)
        problems.push(`${source}: unknown key "${prefix}${key}"; known: ${Object.keys(rules).join(', ')}`);
      else if (!rule(value))
        problems.push(`${source}: bad value for "${prefix}${key}": ${JSON.stringify(value)}`);
    }
  };
  check(config, KEYS, '');
  const compression = (config as Record<string, unknown>)['compression'];
  if (typeof compression === 'object' && compression !== null)
    check(compression, COMPRESSION_KEYS, 'compression.');
  return problems;
}
