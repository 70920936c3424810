import type { Command } from 'commander';
import { addConfigOptions, configFromOptions, type ConfigOptionValues } from '../config-options.js';
import type { CliContext } from '../context.js';
import { EXIT_OK } from '../exit-codes.js';

/**
 * `crilog runtime serve --socket PATH`: the embedded runtime as a CRI server, so that `crilog daemon
 * --runtime-endpoint unix://PATH` and CRI tools such as crictl can talk to it like to containerd.
 */
export function registerRuntimeCommand(program: Command, ctx: CliContext): void {
  const runtime = program.command('runtime').description("crilog's embedded local runtime");
  const serve = runtime
    .command('serve')
    .description("run the config's containers: and serve them over CRI (runtime.v1 gRPC) on a unix socket")
    .requiredOption('--socket <path>', 'unix socket to serve on, e.g. /run/crilog/local.sock');
  addConfigOptions(serve).action(async (opts: ConfigOptionValues & { socket: string }) => {
    const { socket, ...rest } = opts;
    const config = await configFromOptions({ ...rest, runtime: 'local' }, ctx.cwd);
    const logRoot = config.logRoots[0]!;
    const [{ runRuntimeServer }, { createLogger }] = await Promise.all([
      import('../../runtime/local/index.js'),
      import('../../daemon/logger.js'),
    ]);
    const logger = createLogger(config.logLevel, ctx.daemonLog);
    let stop: (signal: string) => void = () => {};
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    const onSignal = { SIGTERM: () => stop('SIGTERM'), SIGINT: () => stop('SIGINT') };
    ctx.signals.on('SIGTERM', onSignal.SIGTERM);
    ctx.signals.on('SIGINT', onSignal.SIGINT);
    try {
      const handle = await runRuntimeServer({ socket, logRoot, containers: config.containers, logger });
      logger.info(
        { socket, logRoot, containers: config.containers.length },
        'serving the local runtime over CRI',
      );
      const signal = await stopped;
      logger.info({ signal }, 'stopping the local runtime');
      await handle.close();
      ctx.exitCode = EXIT_OK;
    } finally {
      ctx.signals.off('SIGTERM', onSignal.SIGTERM);
      ctx.signals.off('SIGINT', onSignal.SIGINT);
    }
  });
}
