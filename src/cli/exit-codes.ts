import { CommanderError } from 'commander';
import { hasErrorCode } from '../errors/crilog-error.js';

/** Exit codes: 0 success, 1 a runtime failure, 2 a usage error (bad flag, bad config). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The exit code an error stands for: bad input of any kind is a usage error, the rest a failure. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK;
    return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (hasErrorCode(err, 'ERR_INVALID_OPTION')) return EXIT_USAGE;
  return EXIT_FAILURE;
}

/** One message per problem, causes appended, for stderr. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let text = err.message;
  for (let c = err.cause; c instanceof Error; c = c.cause)
    if (!text.includes(c.message)) text += `: ${c.message}`;
  return text;
}
