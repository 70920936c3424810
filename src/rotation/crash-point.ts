/** Steps of a rotation at which the fault-injection suite may kill the process. */
export type CrashStep =
  | 'after-trim'
  | 'after-rename'
  | 'after-reopen'
  | 'after-compress-write'
  | 'after-compress-rename'
  | 'after-rename-back'
  /** Between the `link()` and the `unlink()` of a rename-back: the live log has two names. */
  | 'after-link-back';

/**
 * Test-only hook: when `CRILOG_TEST_CRASH_AT` names `step`, the process SIGKILLs itself there, so the
 * recovery path is exercised at every step boundary. Unset (always, in production) it costs one lookup.
 */
export function crashPoint(step: CrashStep): void {
  if (process.env.CRILOG_TEST_CRASH_AT === step) process.kill(process.pid, 'SIGKILL');
}
