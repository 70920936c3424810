import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerCleanCommand } from './commands/clean.js';
import { registerDaemonCommand } from './commands/daemon.js';
import { registerLogsCommand } from './commands/logs.js';
import { registerRotateCommand } from './commands/rotate.js';
import { registerRuntimeCommand } from './commands/runtime.js';
import { registerStatusCommand } from './commands/status.js';
import { processContext, type CliContext } from './context.js';
import { describeError, exitCodeFor } from './exit-codes.js';

/** crilog's version, from the package.json two levels up (the same from `src/cli` and `dist/cli`). */
export function readVersion(): string {
  try {
    return (
      JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    ).version;
  } catch {
    return 'unknown';
  }
}

/** Commands that live in their own modules register here: `register(program, ctx)`. */
export type CommandRegistrar = (program: Command, ctx: CliContext) => void;

/**
 * Builds the `crilog` command tree. Commander never exits the process here (`exitOverride`): errors are
 * thrown and `runCli` turns them into exit codes, so every command can run in-process in tests.
 */
export function buildProgram(ctx: CliContext, extra: readonly CommandRegistrar[] = []): Command {
  const program = new Command('crilog')
    .description(
      'Container log manager for CRI runtimes: rotation, retention, compression and a reader across rotations',
    )
    .version(readVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void ctx.stdout.write(s), writeErr: (s) => void ctx.stderr.write(s) })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', '\nExit codes: 0 success, 1 failure, 2 usage error (bad flags or config).');
  registerDaemonCommand(program, ctx);
  registerRotateCommand(program, ctx);
  registerStatusCommand(program, ctx);
  registerCleanCommand(program, ctx);
  registerLogsCommand(program, ctx);
  registerRuntimeCommand(program, ctx);
  for (const register of extra) register(program, ctx);
  return program;
}

/**
 * Runs the CLI with `argv` (without node and script) and resolves the exit code: 0 success, 1 runtime
 * failure, 2 usage error. Errors are printed to the context's stderr as `crilog: <message>`.
 */
export async function runCli(argv: readonly string[], overrides: Partial<CliContext> = {}): Promise<number> {
  const ctx: CliContext = { ...processContext(), ...overrides, exitCode: 0 };
  try {
    const program = buildProgram(ctx);
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    // Commander has already printed its own errors (and help).
    if (!(err instanceof CommanderError)) ctx.stderr.write(`crilog: ${describeError(err)}\n`);
    return exitCodeFor(err);
  }
}
