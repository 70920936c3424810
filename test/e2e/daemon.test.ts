import { afterEach, describe, expect, it } from 'vitest';
import { getAllLogs } from '../../src/index.js';
import { CriTestClient } from '../helpers/cri-test-client.js';
import { useBuiltCli } from '../cli/build-cli.js';
import { isolatedFlags, killDaemons, spawnDaemon } from '../helpers/crash-daemon.js';
import { makeTempDir } from '../helpers/crash-runtime.js';
import { skipE2eUnlessContainerd, useContainerd } from '../helpers/containerd.js';
import { checkCounters, countersAcross } from './support/log-check.js';
import { FAST_COUNTER, startWorkload, waitFor, type Workload } from './support/workload.js';

const ROTATIONS = 5;

/**
 * `crilog daemon` against a real containerd, as an operator runs it: a busybox container writes
 * numbered lines as fast as it can, the daemon rotates it through the real ReopenContainerLog. The
 * daemon's only log root is this workload's folder, so it never touches another test's logs.
 */
describe.skipIf(skipE2eUnlessContainerd())('rotation through a real containerd (crilog daemon)', () => {
  const suite = useContainerd();
  const cli = useBuiltCli();
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    await killDaemons();
    while (cleanups.length) await cleanups.pop()!();
  });

  it('rotates a fast writer for several rounds, never keeps more than 3 files, and loses or repeats no line', async (ctx) => {
    const h = suite.get(ctx);
    const tmp = await makeTempDir('crilog-e2e-daemon-');
    cleanups.push(tmp.remove);
    const client = new CriTestClient({ endpoint: h.endpoint });
    cleanups.push(async () => client.close());
    const w: Workload = await startWorkload(client, h, { name: 'daemonfast', script: FAST_COUNTER });
    cleanups.push(() => w.dispose());

    const daemon = spawnDaemon(
      cli.main,
      isolatedFlags(tmp.dir, [
        '--runtime-endpoint',
        h.endpoint,
        '--log-root',
        w.logDir,
        '--max-size',
        '256Ki',
        '--max-files',
        '3',
        '--monitor-interval',
        '1s',
      ]),
    );
    cleanups.push(() => daemon.dispose());
    await daemon.waitForLine('started', (l) => l.msg === 'crilog daemon started', 30_000);

    // Sample the files while the daemon works: the count bound must hold at every instant we look.
    let maxFiles = 0;
    const rotatedNames = new Set<string>();
    await waitFor(`${ROTATIONS} rotations`, async () => {
      const files = await getAllLogs(w.logPath);
      maxFiles = Math.max(maxFiles, files.length);
      for (const f of files.slice(0, -1)) rotatedNames.add(f.replace(/\.gz$/, ''));
      return rotatedNames.size >= ROTATIONS;
    });
    // The daemon logs one line per rotation; its stdout may trail the files a little.
    await waitFor(`${ROTATIONS} "rotated" log lines`, async () => daemon.count('rotated') >= ROTATIONS);

    await w.stop();
    await waitFor(
      'the container exited',
      async () => (await client.containerStatus(w.containerId)).state === 'exited',
    );
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);

    const files = await getAllLogs(w.logPath);
    maxFiles = Math.max(maxFiles, files.length);
    expect(maxFiles, `files: ${files.join(', ')}`).toBeLessThanOrEqual(3);
    const final = await countersAcross(files);
    expect(final.malformed).toEqual([]);
    // The files left hold one contiguous run of lines, each exactly once, up to the last line written;
    // older lines went with rotations trimmed by --max-files, as configured.
    const check = checkCounters(final.numbers);
    expect(check.duplicates).toEqual([]);
    expect(check.missing).toEqual([]);
    expect(check.count).toBeGreaterThan(1000);
  }, 120_000);
});
