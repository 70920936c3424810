import { describe, expect, it } from 'vitest';
import { useBuiltCli } from '../cli/build-cli.js';
import { faultSeed, randomKills } from '../helpers/crash-random.js';
import { makeTempDir, startCounterRuntime } from '../helpers/crash-runtime.js';

/**
 * Fault class 2 (embedded runtime): `crilog daemon` is SIGKILLed at random moments, again and again,
 * while a fast writer runs; afterwards every line is in exactly one file. The two cases run concurrently. The seed is printed; rerun
 * a failure with CRILOG_FAULT_SEED=<seed>.
 */

const cli = useBuiltCli();

/** CRILOG_FAULT_SCALE=10 runs ten times the kills (a soak run); the default keeps the suite quick. */
const SCALE = Math.max(1, Number(process.env.CRILOG_FAULT_SCALE) || 1);

describe.concurrent('random SIGKILLs of the daemon under a fast writer (embedded runtime over CRI)', () => {
  it.for([
    { maxFiles: 1000, kills: 10 * SCALE, what: 'whole history kept: nothing lost or duplicated' },
    { maxFiles: 3, kills: 6 * SCALE, what: 'with retention: within maxFiles, kept lines exactly once' },
  ])(
    'maxFiles $maxFiles, $kills kills: $what',
    { timeout: 90_000 * SCALE },
    async ({ maxFiles, kills }, { onTestFinished }) => {
      // Concurrent tests must use the hooks of their own context, not the global ones.
      const cleanups: (() => Promise<unknown>)[] = [];
      onTestFinished(async () => {
        while (cleanups.length) await cleanups.pop()!();
      });
      const tmp = await makeTempDir('crilog-kills-');
      cleanups.push(tmp.remove);
      // ~8k lines/s, ~350 KiB/s: with 24Ki files that is a rotation every ~70 ms.
      const rt = await startCounterRuntime({ dir: tmp.dir, writerArgs: ['stream', '40', '5'] });
      cleanups.push(() => rt.close());
      const seed = faultSeed();
      const run = await randomKills({
        main: cli.main,
        dir: tmp.dir,
        flags: [
          '--runtime',
          'cri',
          '--runtime-endpoint',
          rt.endpoint,
          '--log-root',
          `${tmp.dir}/pods`,
          '--max-size',
          '24Ki',
          '--max-files',
          String(maxFiles),
          '--monitor-interval',
          '50ms',
        ],
        logPath: rt.logPath,
        kills,
        maxFiles,
        seed,
        stopWriter: () => rt.stopWriter(),
        cleanups,
      });
      console.info(`[faults] random kills, embedded runtime: ${run.summary}`);
      expect(run.check.violations, run.summary).toEqual([]);
    },
  );
});
