import { afterEach, describe, expect, it } from 'vitest';
import {
  ContainerLogManager,
  getAllLogs,
  hasErrorCode,
  type PassReport,
  type RotationEvent,
  type RuntimeErrorEvent,
} from '../../src/index.js';
import { CriRuntimeService } from '../../src/runtime/cri/index.js';
import { CriTestClient } from '../helpers/cri-test-client.js';
import { skipE2eUnlessContainerd, useContainerd } from '../helpers/containerd.js';
import { checkCounters, countersAcross } from './support/log-check.js';
import { BURST_COUNTER, onlyContainers, startWorkload, waitFor, type Workload } from './support/workload.js';

describe.skipIf(skipE2eUnlessContainerd())('containerd restarts while the manager runs', () => {
  // Private: stopping a containerd other test files use would break them.
  const suite = useContainerd({ shared: false });
  const cleanups: (() => Promise<unknown> | unknown)[] = [];

  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  it('reports the outage, keeps running, and rotates again once containerd is back', async (ctx) => {
    const h = suite.get(ctx);
    const client = new CriTestClient({ endpoint: h.endpoint });
    // a short deadline keeps passes during the outage short
    const runtime = new CriRuntimeService({ endpoint: h.endpoint, callTimeoutMs: 1000 });
    cleanups.push(
      () => client.close(),
      () => runtime.close(),
    );
    const w: Workload = await startWorkload(client, h, { name: 'restart', script: BURST_COUNTER });
    cleanups.push(() => w.dispose());

    const manager = new ContainerLogManager({
      runtime: onlyContainers(runtime, () => [w.containerId]),
      maxSize: '256Ki',
      // high enough that nothing is trimmed, so the whole history can be checked at the end
      maxFiles: 50,
      workers: 2,
      monitorInterval: 200,
    });
    const rotations: (RotationEvent & { at: number })[] = [];
    const runtimeErrors: (RuntimeErrorEvent & { at: number })[] = [];
    const passes: (PassReport & { at: number })[] = [];
    manager.on('rotation', (e) => rotations.push({ ...e, at: Date.now() }));
    manager.on('runtime-error', (e) => runtimeErrors.push({ ...e, at: Date.now() }));
    manager.on('pass', (p) => passes.push({ ...p, at: Date.now() }));
    manager.start();
    cleanups.push(() => manager.stop());

    await waitFor('a rotation before the outage', () => rotations.some((r) => r.outcome === 'success'));

    const stoppingAt = Date.now();
    await h.stopDaemon();
    const stoppedAt = Date.now();
    await waitFor(
      'two passes reporting the outage',
      () => passes.filter((p) => p.at > stoppedAt && p.error).length >= 2,
    );
    const outageErrors = runtimeErrors.filter((e) => e.at > stoppedAt);
    expect(outageErrors.length).toBeGreaterThan(0);
    for (const e of outageErrors) {
      expect(hasErrorCode(e.error, 'ERR_RUNTIME_UNAVAILABLE'), String(e.error)).toBe(true);
    }
    expect(outageErrors[0]?.error.message).toContain(h.socketPath);

    await h.startDaemon();
    const restartedAt = Date.now();
    const firstGoodPass = await waitFor('a pass without errors after the restart', () =>
      passes.find((p) => p.at > restartedAt && !p.error && p.containers.every((c) => !c.error)),
    );
    await waitFor('a rotation after the restart', () =>
      rotations.some((r) => r.at > restartedAt && r.outcome === 'success'),
    );
    console.info(
      `[e2e] first clean pass ${firstGoodPass.at - restartedAt} ms after containerd was ready again`,
    );
    await manager.stop();

    // A rotation caught mid-way by the stop may fail its reopen (and rename back); nothing else may fail.
    const failed = rotations.filter((r) => r.outcome !== 'success');
    for (const r of failed) {
      expect(r.outcome, String(r.error)).toBe('reopen_failed');
      expect(r.at).toBeGreaterThanOrEqual(stoppingAt);
      expect(r.at).toBeLessThanOrEqual(restartedAt);
    }
    await w.stop();
    await waitFor(
      'container exited',
      async () => (await runtime.containerStatus(w.containerId)).state === 'exited',
    );
    const files = await getAllLogs(w.logPath);
    const { numbers, malformed } = await countersAcross(files);
    expect(malformed).toEqual([]);
    const check = checkCounters(numbers, 0);
    expect(check.duplicates).toEqual([]);
    expect(check.missing).toEqual([]);
  }, 120_000);
});
