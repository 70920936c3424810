import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { FakeRuntime } from '../../test/helpers/fake-runtime.js';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { ContainerLogManager } from './container-log-manager.js';
import type { ContainerLogManagerOptions } from './types.js';

async function setup(options: Partial<ContainerLogManagerOptions>) {
  const dir = await tempDir();
  const runtime = new FakeRuntime();
  const clock = new FakeClock();
  const log = path.join(dir, '0.log');
  await fsp.writeFile(log, '');
  runtime.add('c', log);
  const manager = new ContainerLogManager({ runtime, clock, maxSize: 100, maxFiles: 2, ...options });
  const rotated = async () => (await fsp.readdir(dir)).filter((f) => f !== '0.log').sort();
  /** Writes a CRI record stamped with the fake clock; rotated files get the clock's time as mtime. */
  const write = async (bytes: number) => {
    const ts = clock.now().toISOString();
    const head = `${ts} stdout F `;
    await fsp.appendFile(log, head + 'x'.repeat(Math.max(0, bytes - head.length - 1)) + '\n');
    await fsp.utimes(log, clock.now(), clock.now());
  };
  return { dir, runtime, clock, log, manager, rotated, write };
}

describe('minRotatedAge: a grace period for log shippers', () => {
  it('neither trims nor compresses a rotation younger than minRotatedAge; maxFiles is exceeded meanwhile', async () => {
    const t = await setup({ minRotatedAge: '60s' });
    for (let i = 0; i < 3; i++) {
      await t.write(100);
      await t.manager.rotateOnce();
      t.clock.advance(10_000);
    }
    // Three rotations within 30 s: all young, all kept, all raw (maxFiles 2 would keep one).
    expect(await t.rotated()).toEqual([
      '0.log.20261127-100000',
      '0.log.20261127-100010',
      '0.log.20261127-100020',
    ]);
    t.clock.advance(45_000); // the first is now 75 s old, the second 65 s, the third 55 s
    await t.manager.rotateOnce();
    expect(await t.rotated()).toEqual(['0.log.20261127-100020']);
    t.clock.advance(10_000);
    await t.write(50);
    await t.manager.rotateOnce();
    // Not the newest any more? It is (nothing rotated since), and delayCompress keeps it raw anyway.
    expect(await t.rotated()).toEqual(['0.log.20261127-100020']);
  });

  it('compresses a rotation once its grace period is over', async () => {
    const t = await setup({ minRotatedAge: '60s', maxFiles: 5 });
    await t.write(100);
    await t.manager.rotateOnce();
    t.clock.advance(1000);
    await t.write(100);
    await t.manager.rotateOnce();
    expect(await t.rotated()).toEqual(['0.log.20261127-100000', '0.log.20261127-100001']);
    t.clock.advance(120_000);
    await t.manager.rotateOnce();
    expect(await t.rotated()).toEqual(['0.log.20261127-100000.gz', '0.log.20261127-100001']);
  });

  it('keeps young rotations from the node budget and from maxAge, but counts them', async () => {
    const t = await setup({ minRotatedAge: '1h', maxFiles: 10, maxTotalSize: 150, maxAge: '1m' });
    await t.write(100);
    await t.manager.rotateOnce();
    t.clock.advance(120_000);
    await t.write(100);
    await t.manager.rotateOnce();
    expect(await t.rotated()).toHaveLength(2);
    expect(t.manager.usage.usedBytes).toBeGreaterThanOrEqual(200);
    t.clock.advance(3600_000);
    await t.manager.rotateOnce();
    expect(await t.rotated()).toEqual([]);
  });
});

describe('maxInterval: time-based rotation', () => {
  it('rotates a non-empty live log whose first record is maxInterval old, and never an empty one', async () => {
    const t = await setup({ maxInterval: '1h', maxSize: '10Mi', maxFiles: 5 });
    t.clock.advance(2 * 3600_000);
    expect((await t.manager.rotateOnce()).containers[0]!.action).toBe('none'); // empty
    await t.write(50);
    t.clock.advance(3600_000 - 1000);
    expect((await t.manager.rotateOnce()).containers[0]!.action).toBe('none');
    t.clock.advance(1000);
    const report = (await t.manager.rotateOnce()).containers[0]!;
    expect(report).toMatchObject({ action: 'rotated', reason: 'interval' });
    expect(await t.rotated()).toEqual(['0.log.20261127-130000']);
  });

  it('is off by default', async () => {
    const t = await setup({ maxSize: '10Mi' });
    await t.write(50);
    t.clock.advance(30 * 24 * 3600_000);
    expect((await t.manager.rotateOnce()).containers[0]!.action).toBe('none');
  });
});
