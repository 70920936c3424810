import type { Command } from 'commander';
import { addConfigOptions, configFromOptions, type ConfigOptionValues } from '../config-options.js';
import path from 'node:path';
import type { CliContext } from '../context.js';
import { startUsageView } from '../usage-view.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';

/** The daemon's own flags on top of the shared config flags. */
interface DaemonOptionValues extends ConfigOptionValues {
  statusView?: boolean;
  logFile?: string;
}

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
  addConfigOptions(cmd)
    .option(
      '--status-view',
      'show a live status table in the terminal (default with --runtime local on a terminal)',
    )
    .option('--no-status-view', 'never show the live status table')
    .option(
      '--log-file <path>',
      'write the JSON logs to this file instead of stdout (default with the status view: crilog.log beside the first log root)',
    )
    .action(async (opts: DaemonOptionValues) => {
      const config = await configFromOptions(opts, ctx.cwd);
      const [{ Daemon }, { createLogger }, { pino }] = await Promise.all([
        import('../../daemon/daemon.js'),
        import('../../daemon/logger.js'),
        import('pino'),
      ]);
      const view =
        opts.statusView ?? (config.runtime === 'local' && (ctx.stdout as { isTTY?: boolean }).isTTY === true);
      const logFile =
        opts.logFile !== undefined
          ? path.resolve(ctx.cwd, opts.logFile)
          : view
            ? path.join(path.dirname(config.logRoots[0] ?? ctx.cwd), 'crilog.log')
            : undefined;
      // The status view owns the terminal, so the JSON logs go to a file while it runs.
      const logger = createLogger(
        config.logLevel,
        logFile ? pino.destination({ dest: logFile, mkdir: true, sync: true }) : ctx.daemonLog,
      );
      // Listen before starting: a signal that arrives during start stops the daemon right after it.
      let signalled: (signal: string) => void = () => {};
      let forced: (signal: string) => void = () => {};
      const signal = new Promise<string>((resolve) => (signalled = resolve));
      const force = new Promise<string>((resolve) => (forced = resolve));
      let count = 0;
      // SIGHUP re-reads the configuration; one that arrives during start is applied right after it.
      let hangups = 0;
      let started = false;
      const handlers = {
        SIGTERM: () => (count++ === 0 ? signalled : forced)('SIGTERM'),
        SIGINT: () => (count++ === 0 ? signalled : forced)('SIGINT'),
        SIGHUP: () => {
          if (started) void daemon.reload('SIGHUP');
          else hangups++;
        },
      };
      ctx.signals.on('SIGTERM', handlers.SIGTERM);
      ctx.signals.on('SIGINT', handlers.SIGINT);
      ctx.signals.on('SIGHUP', handlers.SIGHUP);
      const daemon = new Daemon({
        config,
        logger,
        runtimeFactories: ctx.runtimeFactories,
        env: ctx.env,
        reload: {
          // The flags the daemon started with still win over the file, as at start.
          load: () => configFromOptions(opts, ctx.cwd),
          setLogLevel: (level) => (logger.level = level),
        },
      });
      try {
        try {
          await daemon.start();
        } catch (err) {
          logger.error({ err }, 'crilog daemon could not start');
          throw err;
        }
        started = true;
        if (hangups > 0) void daemon.reload('SIGHUP');
        const stopView = view
          ? startUsageView({
              report: () => daemon.usageReport(),
              out: ctx.stdout,
              ansi: (ctx.stdout as { isTTY?: boolean }).isTTY === true,
              footer: [
                `logs: ${logFile ?? 'stdout'}`,
                `metrics: http://${config.metricsAddress.text}/metrics   status as JSON: crilog status --daemon http://${config.metricsAddress.text}`,
                'Ctrl-C stops crilog and its processes cleanly.',
              ],
            })
          : async () => {};
        const received = await signal;
        await stopView();
        if (view) ctx.stdout.write(`\n${received}: stopping crilog…\n`);
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
          if (view)
            ctx.stdout.write(`crilog stopped cleanly; the logs stay in ${config.logRoots.join(', ')}\n`);
        } else {
          // Whatever was cut short is recovered by the next start.
          logger.error({ reason: outcome }, 'stopping did not finish; exiting anyway');
          daemon.releaseLockSync();
          ctx.exitCode = EXIT_FAILURE;
        }
      } finally {
        ctx.signals.off('SIGTERM', handlers.SIGTERM);
        ctx.signals.off('SIGINT', handlers.SIGINT);
        ctx.signals.off('SIGHUP', handlers.SIGHUP);
      }
    });
}
