import { expect } from 'vitest';
import type { CrashStep } from '../../src/rotation/crash-point.js';
import { isolatedFlags, spawnDaemon, type DaemonProcess } from './crash-daemon.js';
import {
  checkInvariants,
  describeScan,
  scanLogDir,
  type InvariantCheck,
  type LogDirScan,
} from './crash-logs.js';
import { makeTempDir, startCounterRuntime, waitFor, type CounterRuntime } from './crash-runtime.js';

/** Live log size that triggers a rotation in the crash cases: ~7 rotations/s at the writer's ~180 KiB/s. */
export const CRASH_MAX_SIZE = '24Ki';

/** What the directory must look like right after the crash: proof the process died at that step. */
export const CRASH_STATE: Record<CrashStep, { reopen: 'ok' | 'fail'; expect: (s: LogDirScan) => boolean }> = {
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

/**
 * One case of fault class 1: a daemon dies at `step` while the writer runs, a second daemon recovers
 * and rotates on; returns the invariant check and a summary line. `main` is the built CLI.
 */
export async function crashAndRecover(
  main: string,
  step: CrashStep,
  maxFiles: number,
  cleanups: (() => Promise<unknown>)[],
): Promise<{ check: InvariantCheck; summary: string }> {
  const tmp = await makeTempDir('crilog-crash-');
  cleanups.push(tmp.remove);
  const rt: CounterRuntime = await startCounterRuntime({ dir: tmp.dir, writerArgs: ['stream', '20', '5'] });
  cleanups.push(() => rt.close());
  const flags = isolatedFlags(tmp.dir, [
    '--runtime',
    'cri',
    '--runtime-endpoint',
    rt.endpoint,
    '--log-root',
    `${tmp.dir}/pods`,
    '--max-size',
    CRASH_MAX_SIZE,
    '--max-files',
    String(maxFiles),
    '--monitor-interval',
    '100ms',
  ]);
  const { reopen, expect: expectCrashState } = CRASH_STATE[step];
  rt.reopenFault = { kind: reopen };

  const first = spawnDaemon(main, flags, step);
  cleanups.push(() => first.dispose());
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
  cleanups.push(() => second.dispose());
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
  const summary =
    `${step} maxFiles=${maxFiles}: crash state ${describeScan(crashed)}; ` +
    `${check.counters.written} lines written, lost ${check.counters.lostCount}, duplicated ${check.counters.duplicatedCount}, ` +
    `${check.scan.data.length} files, first line kept ${check.counters.first}`;
  return { check, summary };
}
