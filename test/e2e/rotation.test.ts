import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContainerLogManager, getAllLogs, hasErrorCode, type RotationEvent } from '../../src/index.js';
import type { RuntimeService } from '../../src/ports/runtime-service.js';
import { skipE2eUnlessContainerd, useContainerd } from '../helpers/containerd.js';
import { useCriClients } from './support/cri-clients.js';
import { checkCounters, countersAcross } from './support/log-check.js';
import { FAST_COUNTER, onlyContainers, sizeOf, waitFor } from './support/workload.js';

const MAX_SIZE = 256 * 1024;
const ROUNDS = 6;

describe.skipIf(skipE2eUnlessContainerd())('rotation through a real containerd (library)', () => {
  const suite = useContainerd();
  const { setup, workload } = useCriClients();

  it('rotates a fast writer for several rounds without losing or repeating a line', async (ctx) => {
    const h = suite.get(ctx);
    const { runtime } = setup(h);
    expect(await runtime.connect()).toMatchObject({ runtimeName: 'containerd' });
    const w = await workload(h, 'fast', FAST_COUNTER);
    const manager = new ContainerLogManager({
      runtime: onlyContainers(runtime, () => [w.containerId]),
      maxSize: '256Ki',
      maxFiles: 3,
      workers: 2,
      // the fast writer refills 256Ki within the storm guard's default 100ms
      minRotationInterval: 0,
    });
    const seen = new Set<number>();
    let rotations = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      await waitFor(`round ${round}: live log over 256Ki`, async () => (await sizeOf(w.logPath)) >= MAX_SIZE);
      const pass = await manager.rotateOnce();
      const mine = pass.containers.find((c) => c.id === w.containerId);
      expect(mine?.error, `round ${round} error`).toBeUndefined();
      expect(mine?.action, `round ${round}`).toBe('rotated');
      rotations++;
      // Between passes nothing renames, so this snapshot is consistent; every rotated file lives for
      // at least two passes, so snapshots after every pass see every line at least once.
      const files = await getAllLogs(w.logPath);
      expect(files.length, `files after round ${round}: ${files.join(', ')}`).toBeLessThanOrEqual(3);
      const snap = await countersAcross(files);
      expect(snap.malformed).toEqual([]);
      expect(checkCounters(snap.numbers).duplicates, `duplicates after round ${round}`).toEqual([]);
      for (const n of snap.numbers) seen.add(n);
    }
    expect(rotations).toBe(ROUNDS);

    await w.stop();
    await waitFor(
      'container exited',
      async () => (await runtime.containerStatus(w.containerId)).state === 'exited',
    );
    const files = await getAllLogs(w.logPath);
    expect(files.length).toBeLessThanOrEqual(3);
    expect(
      files.some((f) => f.endsWith('.gz')),
      `a compressed rotation among ${files.join(', ')}`,
    ).toBe(true);
    const final = await countersAcross(files);
    expect(final.malformed).toEqual([]);
    // the files left hold one contiguous run of lines, each exactly once, up to the last line written
    const finalCheck = checkCounters(final.numbers);
    expect(finalCheck.duplicates).toEqual([]);
    expect(finalCheck.missing).toEqual([]);
    for (const n of final.numbers) seen.add(n);
    // and together with what older snapshots saw before rotation trimmed it, nothing is missing from line 0
    const all = checkCounters(seen, 0);
    expect(all.missing).toEqual([]);
    expect(all.max).toBe(finalCheck.max);
    expect(all.count).toBeGreaterThan(ROUNDS * 1000);
  }, 90_000);

  it('renames the file back when the container stops before the reopen: nothing is lost', async (ctx) => {
    const h = suite.get(ctx);
    const { client, runtime } = setup(h);
    const w = await workload(h, 'stopping', FAST_COUNTER);
    await waitFor('live log over 256Ki', async () => (await sizeOf(w.logPath)) >= MAX_SIZE);
    const before = await fsp.stat(w.logPath);
    // The container stops between the manager's status check and its reopen: the real race, made certain.
    const racing: RuntimeService = {
      ...onlyContainers(runtime, () => [w.containerId]),
      async reopenContainerLog(id) {
        await client.stopContainer(id, 0);
        await waitFor('container exited', async () => (await runtime.containerStatus(id)).state === 'exited');
        return runtime.reopenContainerLog(id);
      },
    };
    const manager = new ContainerLogManager({ runtime: racing, maxSize: '256Ki', maxFiles: 3, workers: 2 });
    const events: RotationEvent[] = [];
    manager.on('rotation', (e) => events.push(e));
    const pass = await manager.rotateOnce();

    const mine = pass.containers.find((c) => c.id === w.containerId);
    expect(mine?.action).toBe('failed');
    expect(hasErrorCode(mine?.error, 'ERR_CONTAINER_NOT_RUNNING'), String(mine?.error)).toBe(true);
    expect(events.map((e) => e.outcome)).toEqual(['reopen_failed']);
    // the live log is back under its name, as the same file, and nothing else is left
    expect(await getAllLogs(w.logPath)).toEqual([w.logPath]);
    expect((await fsp.readdir(path.dirname(w.logPath))).sort()).toEqual([path.basename(w.logPath)]);
    const after = await fsp.stat(w.logPath);
    expect(after.ino).toBe(before.ino);
    expect(after.size).toBeGreaterThanOrEqual(before.size);
    const { numbers, malformed } = await countersAcross([w.logPath]);
    expect(malformed).toEqual([]);
    const check = checkCounters(numbers, 0);
    expect(check.duplicates).toEqual([]);
    expect(check.missing).toEqual([]);
  }, 60_000);

  it('clean after the container is removed deletes its log files and nothing else', async (ctx) => {
    const h = suite.get(ctx);
    const { client, runtime } = setup(h);
    const w = await workload(h, 'cleaned', FAST_COUNTER);
    const manager = new ContainerLogManager({
      runtime: onlyContainers(runtime, () => [w.containerId]),
      maxSize: '256Ki',
      maxFiles: 3,
      workers: 2,
      // the fast writer refills 256Ki within the storm guard's default 100ms
      minRotationInterval: 0,
    });
    for (let round = 1; round <= 2; round++) {
      await waitFor(`round ${round}: live log over 256Ki`, async () => (await sizeOf(w.logPath)) >= MAX_SIZE);
      const pass = await manager.rotateOnce();
      expect(pass.containers.find((c) => c.id === w.containerId)?.action).toBe('rotated');
    }
    const dir = path.dirname(w.logPath);
    // names that share the log's prefix but are not its rotations
    const siblings = [
      `${w.logPath}-other`,
      `${w.logPath}.bak`,
      `${w.logPath}.20200101-000000.keep`,
      `${dir}/1.log`,
    ];
    for (const s of siblings) await fsp.writeFile(s, 'not crilog\n');
    const logFiles = await getAllLogs(w.logPath);
    expect(logFiles.length).toBe(3);

    await w.stop();
    await client.removeContainer(w.containerId);
    const removed = await manager.clean(w.containerId);

    expect([...removed].sort()).toEqual([...logFiles].sort());
    expect((await fsp.readdir(dir)).map((f) => path.join(dir, f)).sort()).toEqual([...siblings].sort());
  }, 60_000);
});
