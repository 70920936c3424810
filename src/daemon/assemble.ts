import type { DaemonConfig } from '../settings/index.js';
import { ContainerLogManager } from '../manager/container-log-manager.js';
import type { Logger } from '../ports/logger.js';
import { managerOptions } from './manager-options.js';
import { RootGuardRuntime } from './root-guard.js';
import { defaultRuntimeFactories, type RuntimeFactory, type RuntimeHandle } from './runtime-factory.js';
import { LogPathCachingRuntime } from './log-path-cache.js';

/** What assembling needs besides the config. */
export interface AssembleOptions {
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** `true` for `crilog daemon` (the local runtime then starts its processes). */
  longRunning: boolean;
  /** Runtime factories by `--runtime` value; the real ones by default (tests pass their own). */
  runtimeFactories?: Readonly<Record<string, RuntimeFactory>> | undefined;
}

/** The parts every command that works on a node's logs uses, put together one way. */
export interface Assembly {
  /** The runtime as made by its factory: probe it, and close it when done. */
  handle: RuntimeHandle;
  /** Log paths and the latest listing, kept so that a pass costs no status call per known container. */
  cache: LogPathCachingRuntime;
  /** What crilog asks: the cached runtime behind the root guard (a log outside the roots is refused). */
  runtime: RootGuardRuntime;
  /** A manager over `runtime` with the config's settings, watching the log roots' filesystems; not started. */
  createManager(): ContainerLogManager;
}

/**
 * Assembles the runtime of `config.runtime`, its log-path cache, the root guard and the manager: the one
 * place `crilog daemon`, the one-shot commands (`rotate --once`, `status`, `clean`) and `crilog logs`
 * get them from, so that all of them ask the same runtime and trust the same roots. The runtime is not
 * probed here: the daemon starts without it, a one-shot command fails, `logs` falls back to the
 * directories.
 */
export async function assemble(config: DaemonConfig, options: AssembleOptions): Promise<Assembly> {
  const { logger } = options;
  const factory = (options.runtimeFactories ?? defaultRuntimeFactories)[config.runtime];
  if (!factory) throw new Error(`no runtime factory for --runtime ${config.runtime}`);
  const handle = await factory(config, { logger, env: options.env, longRunning: options.longRunning });
  const cache = new LogPathCachingRuntime(handle.runtime);
  const runtime = new RootGuardRuntime(cache, config.logRoots, (err) =>
    logger.warn({ id: err.containerId, path: err.logPath, roots: config.logRoots }, err.message),
  );
  return {
    handle,
    cache,
    runtime,
    createManager: () =>
      new ContainerLogManager({ runtime, ...managerOptions(config), diskPaths: config.logRoots }),
  };
}
