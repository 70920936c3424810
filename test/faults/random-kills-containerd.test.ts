import { afterEach, describe, expect, it } from 'vitest';
import { CriTestClient } from '../helpers/cri-test-client.js';
import { useBuiltCli } from '../cli/build-cli.js';
import { BURST_COUNTER, startWorkload, waitFor, type Workload } from '../e2e/support/workload.js';
import { e2eSkipReason, useContainerd } from '../helpers/containerd.js';
import { killDaemons } from '../helpers/crash-daemon.js';
import { faultSeed, randomKills } from '../helpers/crash-random.js';
import { makeTempDir } from '../helpers/crash-runtime.js';

/**
 * Fault class 2 against real containerd: `crilog daemon --runtime cri` is SIGKILLed at random
 * moments while a busybox counter writes; afterwards every line is in exactly one file. The daemon's
 * only log root is this workload's log folder, so on a shared containerd it never touches another
 * test's logs. Skipped (with the reason) where containerd cannot run; CI runs it.
 */

const skip = e2eSkipReason();
if (skip) console.warn(`[faults] skipping the containerd random-kill case: ${skip}`);

/** CRILOG_FAULT_SCALE=10 runs ten times the kills (a soak run). */
const KILLS = 10 * Math.max(1, Number(process.env.CRILOG_FAULT_SCALE) || 1);

describe.skipIf(skip)('random SIGKILLs of the daemon under a fast writer (containerd)', () => {
  const suite = useContainerd();
  const cli = useBuiltCli();
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    await killDaemons();
    while (cleanups.length) await cleanups.pop()!();
  });

  it(
    `${KILLS} kills, whole history kept: nothing lost or duplicated`,
    async (ctx) => {
      const h = suite.get(ctx);
      const tmp = await makeTempDir('crilog-kills-ctrd-');
      cleanups.push(tmp.remove);
      const client = new CriTestClient({ endpoint: h.endpoint });
      cleanups.push(async () => client.close());
      const w: Workload = await startWorkload(client, h, { name: 'faultkills', script: BURST_COUNTER });
      cleanups.push(() => w.dispose());
      const seed = faultSeed();
      const run = await randomKills({
        main: cli.main,
        dir: tmp.dir,
        flags: [
          '--runtime',
          'cri',
          '--runtime-endpoint',
          h.endpoint,
          '--log-root',
          w.logDir,
          '--max-size',
          '16Ki',
          '--max-files',
          '1000',
          '--monitor-interval',
          '50ms',
        ],
        logPath: w.logPath,
        kills: KILLS,
        maxFiles: 1000,
        seed,
        written: 'max',
        cleanups,
        stopWriter: async () => {
          await w.stop();
          await waitFor(
            'the container exited',
            async () => (await client.containerStatus(w.containerId)).state === 'exited',
          );
        },
      });
      console.info(`[faults] random kills, containerd: ${run.summary}`);
      expect(run.check.violations, run.summary).toEqual([]);
    },
    120_000 * Math.max(1, Number(process.env.CRILOG_FAULT_SCALE) || 1),
  );
});
