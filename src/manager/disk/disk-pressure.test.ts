import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../test/helpers/fake-clock.js';
import { FakeRuntime } from '../../../test/helpers/fake-runtime.js';
import { tempDir } from '../../../test/helpers/tmpdir.js';
import type { DiskStatsPort } from '../../ports/disk-stats.js';
import { ContainerLogManager } from '../container-log-manager.js';
import type { ContainerLogManagerOptions, DiskPressureEvent, RemovalEvent } from '../types.js';

/** A filesystem of `capacity` bytes holding the files under `dir` plus `filler` bytes of someone else's. */
class FakeDisk implements DiskStatsPort {
  filler = 0;
  constructor(
    readonly dir: string,
    readonly capacity: number,
  ) {}
  async used(): Promise<number> {
    let sum = 0;
    const walk = async (d: string) => {
      for (const e of await fsp.readdir(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else sum += (await fsp.lstat(p)).size;
      }
    };
    await walk(this.dir);
    return sum;
  }
  async statfs() {
    const free = this.capacity - this.filler - (await this.used());
    return { bytesFree: free, bytesTotal: this.capacity, inodesFree: 1000, inodesTotal: 1000 };
  }
  async device() {
    return 1;
  }
}

const line = (n: number) =>
  `2026-11-27T09:00:00.000000000Z stdout F ${String(n).padStart(6, '0')} ${'x'.repeat(52)}\n`;
const text = (bytes: number, from = 0) =>
  Array.from({ length: Math.ceil(bytes / 100) }, (_, i) => line(from + i)).join('');

async function setup(options: Partial<ContainerLogManagerOptions> = {}) {
  const dir = await tempDir();
  const runtime = new FakeRuntime();
  const clock = new FakeClock(Date.parse('2026-11-27T10:00:00Z'));
  const disk = new FakeDisk(dir, 100_000);
  const logs: Record<string, string> = {};
  for (const id of ['big', 'small']) {
    await fsp.mkdir(path.join(dir, id));
    logs[id] = path.join(dir, id, '0.log');
    await fsp.writeFile(logs[id], '');
    runtime.add(id, logs[id]);
  }
  const manager = new ContainerLogManager({
    runtime,
    clock,
    diskStats: disk,
    maxSize: '1Mi',
    maxFiles: 10,
    compression: 'none',
    minFree: '10%',
    ...options,
  });
  const events: DiskPressureEvent[] = [];
  const removals: RemovalEvent[] = [];
  manager.on('disk-pressure', (e) => events.push(e));
  manager.on('removed', (e) => removals.push(e));
  /** Rotations named like crilog's, oldest first, each `bytes` long. */
  const rotations = async (id: string, count: number, bytes: number) => {
    for (let i = 0; i < count; i++) {
      const f = `${logs[id]}.20261127-0${i}0000`;
      await fsp.writeFile(f, text(bytes, i * 1000));
      const at = Date.parse('2026-11-27T00:00:00Z') / 1000 + i * 3600;
      await fsp.utimes(f, at, at);
    }
  };
  const files = async (id: string) => (await fsp.readdir(path.join(dir, id))).sort();
  return { dir, runtime, clock, disk, logs, manager, events, removals, rotations, files };
}

describe('disk pressure', () => {
  it('does nothing while free space is above the threshold', async () => {
    const t = await setup();
    await t.rotations('big', 4, 10_000);
    t.disk.filler = 40_000;
    await t.manager.rotateOnce();
    expect(t.events).toEqual([]);
    expect(await t.files('big')).toHaveLength(5);
  });

  it('deletes the oldest rotations of the biggest user until free space is back above threshold plus hysteresis, never a live log', async () => {
    const t = await setup();
    await t.rotations('big', 5, 10_000);
    await t.rotations('small', 2, 5_000);
    await fsp.writeFile(t.logs.big!, text(8_000));
    await fsp.writeFile(t.logs.small!, text(2_000));
    // 70 KB of logs + 45 KB filler: nothing free, below 10 %; relief must reach 12 %.
    t.disk.filler = 45_000;
    await t.manager.rotateOnce();
    const s = await t.disk.statfs();
    expect(s.bytesFree).toBeGreaterThanOrEqual(12_000);
    expect(await t.files('big')).toEqual(['0.log', '0.log.20261127-030000', '0.log.20261127-040000']);
    expect(await t.files('small')).toEqual(['0.log', '0.log.20261127-000000', '0.log.20261127-010000']);
    expect(t.events).toHaveLength(1);
    expect(t.events[0]).toMatchObject({ episode: 1, first: true, relieved: true });
    expect(t.removals).toEqual([
      {
        reason: 'disk-pressure',
        paths: ['0.log.20261127-000000', '0.log.20261127-010000', '0.log.20261127-020000'].map((f) =>
          path.join(t.dir, 'big', f),
        ),
      },
    ]);
  });

  it('compresses raw rotations first, the one kept raw for shippers included, and stops when that suffices', async () => {
    const t = await setup({ compression: 'gzip' });
    await t.rotations('big', 2, 20_000);
    t.disk.filler = 55_000;
    await fsp.writeFile(t.logs.big!, text(20_000));
    // The first pass compresses the older rotation as usual (delayCompress keeps the newest raw)...
    t.disk.filler = 0;
    await t.manager.rotateOnce();
    expect(await t.files('big')).toEqual(['0.log', '0.log.20261127-000000.gz', '0.log.20261127-010000']);
    // ...then the disk fills: the newest is compressed too, nothing is deleted.
    t.disk.filler = 100_000 - (await t.disk.used()) - 5_000;
    await t.manager.rotateOnce();
    expect(await t.files('big')).toEqual(['0.log', '0.log.20261127-000000.gz', '0.log.20261127-010000.gz']);
    expect(t.events[0]!.compressed).toEqual([`${t.logs.big}.20261127-010000.gz`]);
    expect(t.events[0]!.removed).toEqual([]);
  });

  it('never deletes the newest rotation of a log whose reopen is pending, nor a live log', async () => {
    const t = await setup();
    await t.rotations('big', 3, 20_000);
    await fsp.rm(t.logs.big!); // renamed, reopen not yet done: the runtime writes to the newest rotation
    t.runtime.fail('reopenContainerLog', new Error('runtime busy'), 'big');
    t.disk.filler = 75_000;
    await t.manager.rotateOnce();
    expect(await t.files('big')).toEqual(['0.log.20261127-020000']);
    expect(t.events.at(-1)!.relieved).toBe(false);
  });

  it('rotates live logs larger than the mean early when deleting rotations is not enough', async () => {
    const t = await setup();
    await fsp.writeFile(t.logs.big!, text(60_000));
    await fsp.writeFile(t.logs.small!, text(5_000));
    t.disk.filler = 30_000;
    await t.manager.rotateOnce();
    // The big live log was rotated, and that rotation then deleted: its live log is new and empty.
    expect(t.events[0]!.rotated).toHaveLength(1);
    expect(t.events[0]!.rotated[0]).toMatch(/big\/0\.log\.20261127-100000$/);
    expect(await t.files('big')).toEqual(['0.log']);
    expect((await fsp.stat(t.logs.small!)).size).toBeGreaterThan(0);
    expect((await t.disk.statfs()).bytesFree).toBeGreaterThanOrEqual(12_000);
  });

  it('keeps acting within one episode until past the hysteresis, then a new episode starts', async () => {
    const t = await setup();
    await t.rotations('big', 8, 5_000);
    await fsp.writeFile(t.logs.big!, text(1_000));
    t.disk.filler = 100_000 - 41_000 - 9_000; // 9 % free
    await t.manager.rotateOnce();
    expect(t.events.map((e) => [e.episode, e.first])).toEqual([[1, true]]);
    const free = (await t.disk.statfs()).bytesFree;
    expect(free).toBeGreaterThanOrEqual(12_000);
    // Someone else writes 1 KB: 11 %+, above the threshold: no new episode.
    t.disk.filler += free - 11_000;
    await t.manager.rotateOnce();
    expect(t.events).toHaveLength(1);
    t.disk.filler += 3_000; // 8 %: a second episode
    await t.manager.rotateOnce();
    expect(t.events.map((e) => [e.episode, e.first])).toEqual([
      [1, true],
      [2, true],
    ]);
  });

  it('overrides minRotatedAge and counts it', async () => {
    const t = await setup({ minRotatedAge: '1d' });
    await t.rotations('big', 3, 20_000);
    t.disk.filler = 100_000 - 60_000 - 5_000;
    await t.manager.rotateOnce();
    expect(t.events[0]!.removed.length).toBeGreaterThan(0);
    expect(t.events[0]!.minRotatedAgeOverridden).toBe(t.events[0]!.removed.length);
  });
});
