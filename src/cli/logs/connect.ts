import { existsSync } from 'node:fs';
import type { DestinationStream } from 'pino';
import { loadSettings, type DaemonConfig } from '../../settings/index.js';
import type { RuntimeFactory } from '../../daemon/runtime-factory.js';
import { hasErrorCode } from '../../errors/crilog-error.js';
import type { RuntimeService } from '../../ports/runtime-service.js';

/** Where the DaemonSet mounts the daemon's config: `crilog logs` reads it too when it is there. */
export const DEFAULT_CONFIG_FILE = '/etc/crilog/config.yaml';

/** A runtime for one `crilog logs` run, closed afterwards if it can be. */
export type LogsRuntime = RuntimeService & { close?(): unknown };

/** The settings `crilog logs` shares with the daemon. */
export interface LogsConnectFlags {
  config?: string;
  runtimeEndpoint?: string;
  logRoot?: string[];
}

/** What connecting needs from the CLI context. */
export interface ConnectDeps {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  runtimeFactories?: Readonly<Record<string, RuntimeFactory>>;
  commandLog?: number | DestinationStream;
  /** The config file read when `--config` is absent; default `/etc/crilog/config.yaml` (if it exists). */
  defaultConfigFile?: string | null;
}

/**
 * The daemon's settings as `crilog logs` sees them: `--config`, else the default file when present
 * (inside the DaemonSet pod), with `--runtime-endpoint` and `--log-root` over it. So the reader asks
 * the same runtime and trusts the same roots as the daemon of the node.
 */
export async function logsConfig(flags: LogsConnectFlags, deps: ConnectDeps): Promise<DaemonConfig> {
  const fallback = deps.defaultConfigFile === undefined ? DEFAULT_CONFIG_FILE : deps.defaultConfigFile;
  const config = flags.config ?? (fallback !== null && existsSync(fallback) ? fallback : undefined);
  return loadSettings(
    {
      ...(config !== undefined ? { config } : {}),
      ...(flags.runtimeEndpoint !== undefined ? { runtimeEndpoint: flags.runtimeEndpoint } : {}),
      ...(flags.logRoot !== undefined ? { logRoots: flags.logRoot } : {}),
    },
    deps.cwd ?? process.cwd(),
  );
}

/** A connected runtime, or why none could be reached. */
export type Connection = { runtime: LogsRuntime; close(): Promise<void> } | { error: unknown };

/** Connects to the configured runtime (assembled as the daemon's is) and checks it answers. */
export async function connectRuntime(config: DaemonConfig, deps: ConnectDeps): Promise<Connection> {
  const [{ createLogger }, { assemble }] = await Promise.all([
    import('../../daemon/logger.js'),
    import('../../daemon/assemble.js'),
  ]);
  const logger = createLogger('warn', deps.commandLog ?? 2);
  const env = deps.env ?? process.env;
  let handle;
  try {
    ({ handle } = await assemble(config, {
      logger,
      env,
      longRunning: false,
      runtimeFactories: deps.runtimeFactories,
    }));
  } catch (error) {
    // A malformed endpoint is the user's to fix; no endpoint at all leaves the log directories.
    const named = config.runtimeEndpoint != null || !!env.CONTAINER_RUNTIME_ENDPOINT;
    if (named && hasErrorCode(error, 'ERR_INVALID_OPTION')) throw error;
    return { error };
  }
  try {
    await handle.probe();
  } catch (error) {
    await handle.close();
    return { error };
  }
  // The raw runtime: `logs` checks each target's path against the roots itself, naming the fix.
  return { runtime: handle.runtime, close: () => handle.close() };
}
