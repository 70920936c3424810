import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { FakeRuntime } from '../../test/helpers/fake-runtime.js';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { ContainerLogManager, STATE_GRACE_MS } from './container-log-manager.js';
import type { ContainerLogManagerOptions } from './types.js';

async function setup(options: Partial<ContainerLogManagerOptions> = {}) {
  const dir = await tempDir();
  const runtime = new FakeRuntime();
  const clock = new FakeClock();
  const log = path.join(dir, 'c1', '0.log');
  await fsp.mkdir(path.dirname(log));
  await fsp.writeFile(log, '');
  runtime.add('c1', log);
  const manager = new ContainerLogManager({ runtime, clock, maxSize: 0, maxFiles: 5, ...options });
  const rotations: string[] = [];
  manager.on('rotation', (e) => rotations.push(e.outcome));
  return { dir, runtime, clock, log, manager, rotations };
}

const line = (n: number) => `2026-01-01T12:00:00.000000000Z stdout F line ${n}\n`;

describe('rotation storms', () => {
  it('a limit of 0 rotates a log that printed one line once, not at every check', async () => {
    const { manager, log, rotations, runtime, clock } = await setup({ maxSize: 0 });
    await fsp.writeFile(log, line(0));
    for (let i = 0; i < 20; i++) {
      await manager.rotateOnce();
      clock.advance(1000);
    }
    expect(rotations).toEqual(['success']);
    expect(runtime.count('reopenContainerLog')).toBe(1);
  });

  it('never rotates an empty live log', async () => {
    const { manager, rotations } = await setup({ maxSize: 0 });
    const report = await manager.rotateOnce();
    expect(report.containers[0]).toMatchObject({ action: 'none', size: 0 });
    expect(rotations).toEqual([]);
  });

  it('holds a second rotation back for minRotationInterval and says when to look again', async () => {
    const { manager, log, rotations, clock } = await setup({ maxSize: 1, minRotationInterval: '1s' });
    await fsp.writeFile(log, line(0));
    await manager.rotateOnce();
    await fsp.appendFile(log, line(1));
    clock.advance(400);
    expect((await manager.rotateOnce()).containers[0]).toMatchObject({ action: 'none', retryInMs: 600 });
    clock.advance(600);
    expect((await manager.rotateOnce()).containers[0]).toMatchObject({ action: 'rotated' });
    expect(rotations).toEqual(['success', 'success']);
  });

  it('a clock that went backwards does not hold rotation off', async () => {
    const { manager, log, rotations, clock } = await setup({ maxSize: 1, minRotationInterval: '1s' });
    await fsp.writeFile(log, line(0));
    await manager.rotateOnce();
    clock.set(new Date(clock.now().getTime() - 3_600_000));
    await fsp.appendFile(log, line(1));
    await manager.rotateOnce();
    expect(rotations).toEqual(['success', 'success']);
  });

  it('defaults to a 100 ms rate limit, and rejects an unusable one', () => {
    const runtime = new FakeRuntime();
    expect(new ContainerLogManager({ runtime }).options.minRotationIntervalMs).toBe(100);
    expect(() => new ContainerLogManager({ runtime, minRotationInterval: '2h' })).toThrow(
      /minRotationInterval "2h" is invalid: must be a duration from 0 to 1h/,
    );
  });
});

describe('per-container state', () => {
  it('is dropped once a removed container was gone for the grace period; clean works within it', async () => {
    const { manager, runtime, clock, dir } = await setup({ maxSize: '1Mi' });
    for (let i = 0; i < 50; i++) {
      const log = path.join(dir, `churn-${i}`, '0.log');
      await fsp.mkdir(path.dirname(log));
      await fsp.writeFile(log, line(i));
      runtime.add(`churn-${i}`, log);
    }
    await manager.rotateOnce();
    expect(manager.trackedContainers).toBe(51);
    for (let i = 0; i < 50; i++) runtime.containers.delete(`churn-${i}`);
    clock.advance(STATE_GRACE_MS / 2);
    await manager.rotateOnce();
    expect(manager.trackedContainers).toBe(51);
    // Within the grace period the runtime forgot it, but crilog still knows where its logs are.
    expect((await manager.clean('churn-0')).map((p) => path.basename(p))).toEqual(['0.log']);
    expect(manager.trackedContainers).toBe(50);
    clock.advance(STATE_GRACE_MS / 2 + 1);
    await manager.rotateOnce();
    expect(manager.trackedContainers).toBe(1);
    await expect(manager.clean('churn-1')).rejects.toMatchObject({ code: 'ERR_CONTAINER_NOT_FOUND' });
  });
});
