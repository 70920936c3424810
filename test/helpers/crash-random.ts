import { expect } from 'vitest';
import { isolatedFlags, spawnDaemon } from './crash-daemon.js';
import {
  checkInvariants,
  describeScan,
  scanLogDir,
  type InvariantCheck,
  type LogDirScan,
} from './crash-logs.js';
import { waitFor } from './crash-runtime.js';

/** A small seeded PRNG (mulberry32), so a failing run can be replayed with `CRILOG_FAULT_SEED`. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: `CRILOG_FAULT_SEED`, else the clock. */
export function faultSeed(): number {
  const fromEnv = Number(process.env.CRILOG_FAULT_SEED);
  return Number.isSafeInteger(fromEnv) && fromEnv > 0 ? fromEnv : Date.now() % 2 ** 31;
}

/** How a random-kill run went. */
export interface RandomKillRun {
  kills: number;
  /** Kills that left a half-done state on disk, by kind (live missing, .tmp, twin, alias). */
  halfDone: { liveMissing: number; tmp: number; twin: number; alias: number; any: number };
  check: InvariantCheck;
  summary: string;
}

function halfDoneKinds(s: LogDirScan) {
  return {
    liveMissing: s.live === null,
    tmp: s.tmp.length > 0,
    twin: s.twins.length > 0,
    alias: s.aliases.length > 0,
  };
}

/**
 * Fault class 2: starts `crilog daemon` (flags `flags`) `kills` times and SIGKILLs each at a random
 * moment: after a random number (0-3) of rotations plus a random delay of up to `maxDelayMs`; then a
 * last daemon recovers and runs until the writer (stopped by `stopWriter`) is done and it is
 * SIGTERMed. `main` is the built CLI; `logPath` the container's live log.
 */
export async function randomKills(opts: {
  main: string;
  dir: string;
  flags: string[];
  logPath: string;
  kills: number;
  maxFiles: number;
  seed: number;
  maxDelayMs?: number;
  stopWriter: () => Promise<void>;
  /** Where to register the disposal of every daemon started. */
  cleanups: (() => Promise<unknown>)[];
  /** How many lines were written: the writer's end marker by default, or `max` (see `checkInvariants`). */
  written?: 'max';
}): Promise<RandomKillRun> {
  const random = seededRandom(opts.seed);
  const flags = isolatedFlags(opts.dir, opts.flags);
  const halfDone = { liveMissing: 0, tmp: 0, twin: 0, alias: 0, any: 0 };
  for (let i = 0; i < opts.kills; i++) {
    const daemon = spawnDaemon(opts.main, flags);
    opts.cleanups.push(() => daemon.dispose());
    const rotations = Math.floor(random() * 4);
    const delay = Math.floor(random() * (opts.maxDelayMs ?? 150));
    await daemon.waitForLine('crilog daemon started', (l) => l.msg === 'crilog daemon started', 20_000);
    if (rotations > 0)
      await daemon.waitForLine(`${rotations} rotations`, () => daemon.count('rotated') >= rotations, 20_000);
    // The fault itself: a kill at an arbitrary instant, not a wait for a condition.
    await new Promise((resolve) => setTimeout(resolve, delay));
    daemon.child.kill('SIGKILL');
    expect(await daemon.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const kinds = halfDoneKinds(await scanLogDir(opts.logPath));
    for (const k of Object.keys(kinds) as (keyof typeof kinds)[]) if (kinds[k]) halfDone[k]++;
    if (Object.values(kinds).some(Boolean)) halfDone.any++;
  }
  const last = spawnDaemon(opts.main, flags);
  opts.cleanups.push(() => last.dispose());
  await last.waitForLine('two rotations after the last restart', () => last.count('rotated') >= 2, 20_000);
  await waitFor('a state with nothing half-done', async () => {
    const kinds = halfDoneKinds(await scanLogDir(opts.logPath));
    return !Object.values(kinds).some(Boolean);
  });
  await opts.stopWriter();
  last.child.kill('SIGTERM');
  expect(await last.exited, last.stderr()).toEqual({ code: 0, signal: null });
  const check = await checkInvariants(opts.logPath, {
    maxFiles: opts.maxFiles,
    complete: opts.maxFiles > 100,
    ...(opts.written ? { written: opts.written } : {}),
  });
  const summary =
    `seed ${opts.seed}: ${opts.kills} kills, ${halfDone.any} left a half-done state ` +
    `(live missing ${halfDone.liveMissing}, .tmp ${halfDone.tmp}, twin ${halfDone.twin}, alias ${halfDone.alias}); ` +
    `${check.counters.written} lines written, lost ${check.counters.lostCount}, duplicated ${check.counters.duplicatedCount}, ` +
    `${check.scan.data.length} files (maxFiles ${opts.maxFiles}), first line kept ${check.counters.first}; final ${describeScan(check.scan).slice(0, 300)}`;
  return { kills: opts.kills, halfDone, check, summary };
}
