import type { DaemonConfig } from '../settings/index.js';
import type { RuntimeHandle } from '../daemon/runtime-factory.js';
import type { ContainerLogManager } from '../manager/container-log-manager.js';
import type { Logger } from '../ports/logger.js';
import type { CliContext } from './context.js';

/** What a one-shot command gets to work with. */
export interface OneShot {
  config: DaemonConfig;
  logger: Logger;
  handle: RuntimeHandle;
  /** A manager over the root-guarded runtime, with the daemon's settings, its events logged; not started. */
  manager(): ContainerLogManager;
}

/**
 * Runs `body` with the runtime connected and, when `lock` names the command, the node's single-instance
 * lock held (rotating or deleting logs beside a running daemon would race it). Logs go to stderr at
 * `warn` unless `--log-level` was given, so stdout stays the command's output.
 */
export async function withRuntime<T>(
  ctx: CliContext,
  config: DaemonConfig,
  explicitLogLevel: boolean,
  lock: string | undefined,
  body: (s: OneShot) => Promise<T>,
): Promise<T> {
  // Loaded on use, so that `--help` and commands that need none of it start fast.
  const [{ createLogger }, { acquireLock }, { assemble }, { logManagerEvents }] = await Promise.all([
    import('../daemon/logger.js'),
    import('../daemon/lock-file.js'),
    import('../daemon/assemble.js'),
    import('../daemon/log-manager-events.js'),
  ]);
  const logger = createLogger(explicitLogLevel ? config.logLevel : 'warn', ctx.commandLog);
  const held = lock ? await acquireLock(config.lockFile, lock) : undefined;
  try {
    const assembly = await assemble(config, {
      logger,
      env: ctx.env,
      longRunning: false,
      runtimeFactories: ctx.runtimeFactories,
    });
    const { handle } = assembly;
    try {
      await handle.probe();
      const manager = () => {
        const created = assembly.createManager();
        logManagerEvents(created, logger);
        return created;
      };
      return await body({ config, logger, handle, manager });
    } finally {
      await handle.close();
    }
  } finally {
    await held?.release();
  }
}
