import { afterAll, describe, expect, it } from 'vitest';
import type { CrashStep } from '../../src/rotation/crash-point.js';
import { useBuiltCli } from '../cli/build-cli.js';
import { CRASH_STATE, crashAndRecover } from '../helpers/crash-steps.js';

/**
 * Fault class 1: a crash at every step boundary of a rotation. The runtime (crilog's embedded one,
 * served over CRI from this process) and its writer keep running while `crilog daemon` SIGKILLs
 * itself at the step named by CRILOG_TEST_CRASH_AT; a second daemon must find the one right answer and
 * carry on, and in the end every line the writer wrote is in exactly one file. Each step runs without
 * retention (the whole history is kept, so the check starts at line 0) and with maxFiles 3. Cases run
 * concurrently: each has its own directory, runtime, socket, lock file and daemons.
 */

const cli = useBuiltCli();

const results: string[] = [];
afterAll(() => {
  if (results.length) console.info(`[faults] crash at every step:\n  ${results.sort().join('\n  ')}`);
});

const cases = (Object.keys(CRASH_STATE) as CrashStep[]).flatMap((step) => [
  { step, maxFiles: 1000, what: 'every line exactly once, the whole history kept' },
  { step, maxFiles: 3, what: 'within maxFiles 3, the kept lines exactly once' },
]);

describe.concurrent('crash at every step boundary of a rotation', () => {
  // Concurrent tests must use the hooks of their own context, not the global ones.
  it.for(cases)(
    '$step, then recovery: $what',
    { timeout: 90_000 },
    async ({ step, maxFiles }, { onTestFinished }) => {
      const cleanups: (() => Promise<unknown>)[] = [];
      onTestFinished(async () => {
        while (cleanups.length) await cleanups.pop()!();
      });
      const { check, summary } = await crashAndRecover(cli.main, step, maxFiles, cleanups);
      results.push(summary);
      expect(check.violations, summary).toEqual([]);
      expect(check.counters.written).toBeGreaterThan(0);
    },
  );
});
