import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CrashStep } from '../../src/rotation/crash-point.js';
import { buildCli } from '../cli/build-cli.js';
import { isolatedFlags, killDaemons, spawnDaemon, type DaemonProcess } from '../helpers/crash-daemon.js';
import { checkInvariants, describeScan, scanLogDir, type LogDirScan } from '../helpers/crash-logs.js';
import { makeTempDir, startCounterRuntime, waitFor, type CounterRuntime } from '../helpers/crash-runtime.js';

/**
 * Fault class 1: a crash at every step boundary of a rotation. The runtime (crilog's embedded one,
 * served over CRI from this process) and its writer keep running while `crilog daemon` SIGKILLs itself
 * at the step named by CRILOG_TEST_CRASH_AT; a second daemon must find the one right answer and carry
 * on, and in the end every line the writer wrote is in exactly one file.
 */

/** What the directory must look like right after the crash: proof the process died at that step. */
const CRASH_STATE: Record<CrashStep, { reopen: 'ok' | 'fail'; expect: (s: LogDirScan) => boolean }> = {
  'after-trim': { reopen: 'ok', expect: (s) => s.live !== null },
  'after-rename': { reopen: 'ok', expect: (s) => s.live === null && s.data.length >= 1 },
  'after-reopen': {
    reopen: 'ok',
    expect: (s) => s.live !== null && s.data.length >= 2 && s.data.at(-2)!.codec === null,
  },
  'after-compress-write': { reopen: 'ok', expect: (s) => s.tmp.length >= 1 },
  'after-compress-rename': { reopen: 'ok', expect: (s) => s.twins.length >= 1 },
  'after-rename-back': { reopen: 'fail', expect: (s) => s.live !== null && s.aliases.length === 0 },
  'after-link-back': { reopen: 'fail', expect: (s) => s.live !== null && s.aliases.length === 1 },
};

const STEPS = Object.keys(CRASH_STATE) as CrashStep[];
const MAX_SIZE = '48Ki';

let main: string;
let removeCli: () => Promise<void>;
beforeAll(async () => {
  ({ main, remove: removeCli } = await buildCli());
});
afterAll(async () => {
  await removeCli?.();
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await killDaemons();
  while (cleanups.length) await cleanups.pop()!();
});

const results: string[] = [];
afterAll(() => {
  if (results.length) console.info(`[faults] crash at every step:\n  ${results.join('\n  ')}`);
});

async function crashAndRecover(step: CrashStep, maxFiles: number) {
  const tmp = await makeTempDir('crilog-crash-');
  cleanups.push(tmp.remove);
  const rt: CounterRuntime = await startCounterRuntime({ dir: tmp.dir });
  cleanups.push(() => rt.close());
  const flags = isolatedFlags(tmp.dir, [
    '--runtime',
    'cri',
    '--runtime-endpoint',
    rt.endpoint,
    '--log-root',
    `${tmp.dir}/pods`,
    '--max-size',
    MAX_SIZE,
    '--max-files',
    String(maxFiles),
    '--monitor-interval',
    '100ms',
  ]);
  const { reopen, expect: expectCrashState } = CRASH_STATE[step];
  rt.reopenFault = { kind: reopen };

  const first = spawnDaemon(main, flags, step);
  const died = await Promise.race([
    first.exited,
    new Promise<null>((resolve) => setTimeout(() => resolve(null), 20_000).unref()),
  ]);
  expect(died, `the daemon never reached ${step}; stderr: ${first.stderr()}`).toEqual({
    code: null,
    signal: 'SIGKILL',
  });
  const crashed = await scanLogDir(rt.logPath);
  expect(expectCrashState(crashed), `state after a crash at ${step}: ${describeScan(crashed)}`).toBe(true);
  const halfDone = [...crashed.tmp, ...crashed.twins, ...crashed.aliases];

  rt.reopenFault = { kind: 'ok' };
  const second: DaemonProcess = spawnDaemon(main, flags);
  // Recovered: the live log is back, the crash's leftovers are gone, and rotation works again.
  await second.waitForLine('two rotations after the restart', () => second.count('rotated') >= 2, 20_000);
  await waitFor(`recovery from ${step}`, async () => {
    const s = await scanLogDir(rt.logPath);
    const names = new Set([...s.tmp, ...s.twins, ...s.aliases]);
    return s.live !== null && halfDone.every((p) => !names.has(p));
  });
  await rt.stopWriter();
  second.child.kill('SIGTERM');
  expect(await second.exited, second.stderr()).toEqual({ code: 0, signal: null });

  const check = await checkInvariants(rt.logPath, { maxFiles, complete: maxFiles > 20 });
  results.push(
    `${step} maxFiles=${maxFiles}: crash state ${describeScan(crashed)}; ` +
      `${check.counters.written} lines written, lost ${check.counters.lostCount}, duplicated ${check.counters.duplicatedCount}, ` +
      `${check.scan.data.length} files, first line kept ${check.counters.first}`,
  );
  expect(check.violations, describeScan(check.scan)).toEqual([]);
  expect(check.counters.written).toBeGreaterThan(0);
}

describe('crash at every step boundary of a rotation', () => {
  describe.each(STEPS)('%s', (step) => {
    it('recovers with every line exactly once (no retention: the whole history is kept)', async () => {
      await crashAndRecover(step, 1000);
    });
    it('recovers within maxFiles when retention deletes old files', async () => {
      await crashAndRecover(step, 3);
    });
  });
});
