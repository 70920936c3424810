import type { Command } from 'commander';
import { addConfigOptions, configFromOptions, type ConfigOptionValues } from '../config-options.js';
import type { CliContext } from '../context.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';

/** Longest wait for a clean stop before giving up (the orchestrator's grace period is usually 30 s). */
export const STOP_DEADLINE_MS = 10_000;

/** `crilog daemon`: runs until SIGTERM or SIGINT, then stops cleanly and exits 0. */
export function registerDaemonCommand(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('daemon')
    .description('rotate, compress and prune container logs continuously; serve metrics and health endpoints')
    .addHelpText(
      'after',
      '\nFlags override the --config file, which overrides the defaults. Exit codes: 0 after a clean stop on\n' +
        'SIGTERM/SIGINT, 1 when the daemon cannot run (lock held, address in use), 2 for bad flags or config.',
    );
  addConfigOptions(cmd).action(async (opts: ConfigOptionValues) => {
    const config = await configFromOptions(opts, ctx.cwd);
    const [{ Daemon }, { createLogger }] = await Promise.all([
      import('../../daemon/daemon.js'),
      import('../../daemon/logger.js'),
    ]);
    const logger = createLogger(config.logLevel, ctx.daemonLog);
    // Listen before starting: a signal that arrives during start stops the daemon right after it.
    let signalled: (signal: string) => void = () => {};
    let forced: (signal: string) => void = () => {};
    const signal = new Promise<string>((resolve) => (signalled = resolve));
    const force = new Promise<string>((resolve) => (forced = resolve));
    let count = 0;
    const handlers = {
      SIGTERM: () => (count++ === 0 ? signalled : forced)('SIGTERM'),
      SIGINT: () => (count++ === 0 ? signalled : forced)('SIGINT'),
    };
    ctx.signals.on('SIGTERM', handlers.SIGTERM);
    ctx.signals.on('SIGINT', handlers.SIGINT);
    const daemon = new Daemon({ config, logger, runtimeFactories: ctx.runtimeFactories, env: ctx.env });
    try {
      try {
        await daemon.start();
      } catch (err) {
        logger.error({ err }, 'crilog daemon could not start');
        throw err;
      }
      const received = await signal;
      logger.info({ signal: received }, 'signal received; finishing in-flight rotations');
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        daemon.stop().then(() => 'stopped' as const),
        force.then((s) => `second ${s}` as const),
        new Promise<'deadline'>(
          (resolve) => (timer = setTimeout(() => resolve('deadline'), STOP_DEADLINE_MS)),
        ),
      ]);
      clearTimeout(timer);
      if (outcome === 'stopped') {
        ctx.exitCode = EXIT_OK;
      } else {
        // Whatever was cut short is recovered by the next start.
        logger.error({ reason: outcome }, 'stopping did not finish; exiting anyway');
        daemon.releaseLockSync();
        ctx.exitCode = EXIT_FAILURE;
      }
    } finally {
      ctx.signals.off('SIGTERM', handlers.SIGTERM);
      ctx.signals.off('SIGINT', handlers.SIGINT);
    }
  });
}
