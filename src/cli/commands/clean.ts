import { Option, type Command } from 'commander';
import { addConfigOptions, configFromOptions, type ConfigOptionValues } from '../config-options.js';
import type { CliContext } from '../context.js';
import { withRuntime } from '../one-shot.js';

/** `crilog clean <container-id>`: removes a container's live log and its rotations. */
export function registerCleanCommand(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('clean')
    .description("remove a container's live log and every rotation of it (only files named as its rotations)")
    .argument('<container-id>', 'the id the runtime knows the container by')
    .addOption(
      new Option('-o, --output <format>', 'table or json').choices(['table', 'json']).default('table'),
    );
  addConfigOptions(cmd).action(
    async (id: string, opts: ConfigOptionValues & { output: 'table' | 'json' }) => {
      const config = await configFromOptions(opts, ctx.cwd);
      await withRuntime(ctx, config, opts.logLevel !== undefined, 'crilog clean', async ({ manager }) => {
        const m = manager();
        const removed = await m.clean(id);
        await m.stop();
        if (opts.output === 'json') ctx.stdout.write(`${JSON.stringify({ id, removed }, null, 2)}\n`);
        else
          ctx.stdout.write(
            removed.length === 0
              ? `container ${id}: no log files to remove\n`
              : `container ${id}: removed ${removed.length} file${removed.length === 1 ? '' : 's'}\n${removed.map((p) => `  ${p}\n`).join('')}`,
          );
      });
    },
  );
}
