import { Option, type Command } from 'commander';
import { InvalidOptionError } from '../../errors/crilog-error.js';
import { addConfigOptions, configFromOptions, type ConfigOptionValues } from '../config-options.js';
import type { CliContext } from '../context.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { isRefusal, passToJson, renderPass } from '../format/pass-table.js';
import { withRuntime } from '../one-shot.js';

/** `crilog rotate --once`: one pass with the daemon's settings; exit 1 if any container failed. */
export function registerRotateCommand(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('rotate')
    .description("run one rotation pass with the daemon's settings, print what it did, and exit")
    .option('--once', 'run a single pass (required; use "crilog daemon" to rotate continuously)')
    .addOption(
      new Option('-o, --output <format>', 'table or json').choices(['table', 'json']).default('table'),
    );
  addConfigOptions(cmd).action(
    async (opts: ConfigOptionValues & { once?: boolean; output: 'table' | 'json' }) => {
      if (!opts.once)
        throw new InvalidOptionError({
          key: '--once',
          rule: 'crilog rotate needs --once (one pass, then exit)',
          hint: 'run "crilog daemon" to rotate continuously',
        });
      const config = await configFromOptions(opts, ctx.cwd);
      await withRuntime(
        ctx,
        config,
        opts.logLevel !== undefined,
        'crilog rotate --once',
        async ({ manager }) => {
          const m = manager();
          const report = await m.rotateOnce();
          await m.stop();
          ctx.stdout.write(
            opts.output === 'json' ? `${JSON.stringify(passToJson(report), null, 2)}\n` : renderPass(report),
          );
          // A refused log (outside the roots, a symlink) is crilog doing its job, not a failure.
          const failed = report.containers.some((c) => c.action === 'failed' && !isRefusal(c.error));
          ctx.exitCode = report.error || failed ? EXIT_FAILURE : EXIT_OK;
        },
      );
    },
  );
}
