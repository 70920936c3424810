import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { FakeRuntime } from '../../test/helpers/fake-runtime.js';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { isCodecAvailable } from '../codecs/codec.js';
import { ContainerLogManager } from './container-log-manager.js';
import type { ContainerLogManagerOptions } from './types.js';

const NOW = Date.parse('2026-11-27T10:00:00Z');

interface Spec {
  state?: 'running' | 'exited';
  annotations?: Record<string, string>;
  live?: number;
  /** Rotated files: [stamp suffix, size, gz?, age in ms]. */
  rotated?: [string, number, boolean?, number?][];
}

async function node(specs: Record<string, Spec>, options: Partial<ContainerLogManagerOptions> = {}) {
  const dir = await tempDir();
  const runtime = new FakeRuntime();
  const logs: Record<string, string> = {};
  for (const [id, spec] of Object.entries(specs)) {
    await fsp.mkdir(path.join(dir, id));
    const log = (logs[id] = path.join(dir, id, '0.log'));
    await fsp.writeFile(log, 'L'.repeat(spec.live ?? 0));
    for (const [stamp, size, gz, age] of spec.rotated ?? []) {
      const file = `${log}.${stamp}${gz ? '.gz' : ''}`;
      await fsp.writeFile(
        file,
        gz ? gzipSync('x'.repeat(size), { level: 0 }).subarray(0, size) : 'x'.repeat(size),
      );
      const t = new Date(NOW - (age ?? 0));
      await fsp.utimes(file, t, t);
    }
    runtime.add(id, log, spec.state ?? 'running', { annotations: spec.annotations ?? {} });
  }
  const manager = new ContainerLogManager({
    runtime,
    clock: new FakeClock(NOW),
    maxSize: 100,
    maxFiles: 5,
    // These sizes are tiny: let annotations go below the default 1Mi-or-node floor, and choose zstd.
    policyMinSize: 0,
    policyCompression: 'gzip,zstd,none',
    ...options,
  });
  const files = async (id: string) => (await fsp.readdir(path.join(dir, id))).sort();
  return { dir, runtime, manager, logs, files };
}

describe('per-container policy', () => {
  it('follows crilog.io annotations and falls back per key, warning once per container', async () => {
    const { manager, files } = await node({
      small: { live: 60, annotations: { 'crilog.io/max-size': '50' } },
      plain: { live: 60 },
      bad: { live: 60, annotations: { 'crilog.io/max-size': 'lots' } },
    });
    const warnings: string[] = [];
    manager.on('policy-error', (e) => warnings.push(`${e.id}: ${e.problems.join()}`));
    const report = await manager.rotateOnce();
    expect(report.containers.map((c) => [c.id, c.action, c.limit])).toEqual([
      ['small', 'rotated', 50],
      ['plain', 'none', 100],
      ['bad', 'none', 100],
    ]);
    await manager.rotateOnce();
    expect(warnings).toEqual([expect.stringMatching(/^bad: crilog.io\/max-size "lots" is invalid/)]);
    expect(await files('small')).toEqual(['0.log', '0.log.20261127-100000']);
  });

  // Issue 13: `max-size: -1` switched rotation off, `100T` lifted the limit, `max-files: 1000000` kept
  // everything. Out of the box each is held to the node's limits, with one event per container.
  it('holds annotations to the operator bounds, reporting each container once', async () => {
    const { manager, files } = await node(
      {
        off: { live: 150, annotations: { 'crilog.io/max-size': '-1' } },
        huge: { live: 150, annotations: { 'crilog.io/max-size': '100T', 'crilog.io/max-files': '1000000' } },
        tiny: { live: 150, annotations: { 'crilog.io/max-size': '0' } },
      },
      { policyMinSize: undefined },
    );
    const events: string[] = [];
    manager.on('policy-clamped', (e) =>
      events.push(`${e.id}: ${e.clamped.map((c) => `${c.annotation}=${c.value} (${c.bound})`).join(', ')}`),
    );
    const report = await manager.rotateOnce();
    expect(report.containers.map((c) => [c.id, c.action, c.limit])).toEqual([
      ['off', 'rotated', 100],
      ['huge', 'rotated', 100],
      ['tiny', 'rotated', 100],
    ]);
    await manager.rotateOnce();
    expect(events).toEqual([
      'off: crilog.io/max-size=-1 (policyAllowDisable false)',
      'huge: crilog.io/max-size=100T (policyMaxSize 100), crilog.io/max-files=1000000 (policyMaxFiles 5)',
      'tiny: crilog.io/max-size=0 (policyMinSize 100)',
    ]);
    expect(await files('off')).toEqual(['0.log', '0.log.20261127-100000']);
  });

  it('applies max-files from an annotation', async () => {
    const { manager, files } = await node({
      c: {
        live: 200,
        annotations: { 'crilog.io/max-files': '2' },
        rotated: [
          ['20261101-000000', 10, true],
          ['20261102-000000', 10],
        ],
      },
    });
    await manager.rotateOnce();
    expect(await files('c')).toEqual(['0.log', '0.log.20261127-100000']);
  });
});

describe('retention by age', () => {
  it('deletes rotated files older than maxAge even below the count limit, never the live log', async () => {
    const day = 86_400_000;
    const { manager, files } = await node(
      {
        c: {
          live: 10,
          rotated: [
            ['20261101-000000', 10, true, 9 * day],
            ['20261120-000000', 10, true, 6 * day],
            ['20261126-000000', 10, false, day],
          ],
        },
      },
      { maxAge: '7d' },
    );
    await manager.rotateOnce();
    expect(await files('c')).toEqual(['0.log', '0.log.20261120-000000.gz', '0.log.20261126-000000']);
  });
});

describe('stopped containers', () => {
  it('compresses and trims their rotated files and leaves the live log alone', async () => {
    const { manager, files, logs } = await node(
      {
        c: {
          state: 'exited',
          live: 500,
          rotated: [
            ['20261101-000000', 10, true],
            ['20261102-000000', 10],
            ['20261103-000000', 10],
            ['20261104-000000', 10],
          ],
        },
      },
      { maxFiles: 3 },
    );
    const report = await manager.rotateOnce();
    expect(report.containers[0]).toMatchObject({ action: 'none', state: 'exited' });
    expect(await files('c')).toEqual(['0.log', '0.log.20261103-000000.gz', '0.log.20261104-000000.gz']);
    expect(await fsp.readFile(logs.c!, 'utf8')).toBe('L'.repeat(500));
  });
});

describe('compression choice', () => {
  it('none keeps rotated files raw', async () => {
    const { manager, files } = await node(
      { c: { live: 200, rotated: [['20261101-000000', 10]] } },
      { compression: 'none' },
    );
    await manager.rotateOnce();
    expect(await files('c')).toEqual(['0.log', '0.log.20261101-000000', '0.log.20261127-100000']);
  });

  it('delayCompress false compresses the newest rotation at once', async () => {
    const { manager, files } = await node({ c: { live: 200 } }, { delayCompress: false });
    await manager.rotateOnce();
    expect(await files('c')).toEqual(['0.log', '0.log.20261127-100000.gz']);
  });

  it.runIf(isCodecAvailable('zstd'))('zstd writes .zst files, chosen per container', async () => {
    const { manager, files } = await node({
      z: {
        live: 200,
        rotated: [['20261101-000000', 10]],
        annotations: { 'crilog.io/compression': 'zstd:5' },
      },
      g: { live: 200, rotated: [['20261101-000000', 10]] },
    });
    await manager.rotateOnce();
    expect(await files('z')).toEqual(['0.log', '0.log.20261101-000000.zst', '0.log.20261127-100000']);
    expect(await files('g')).toEqual(['0.log', '0.log.20261101-000000.gz', '0.log.20261127-100000']);
  });
});

describe('node budget', () => {
  it('makes the biggest user pay first, rotating a live log that holds all its bytes, never deleting one', async () => {
    const { manager, files } = await node(
      {
        big: {
          live: 50,
          rotated: [
            ['20261101-000000', 400],
            ['20261102-000000', 400],
          ],
        },
        small: { live: 50, rotated: [['20261101-000000', 100]] },
        huge: { live: 2000 },
      },
      { maxTotalSize: 3000, maxSize: 1_000_000, compression: 'none' },
    );
    const events: { usedBytes: number; removed: string[] }[] = [];
    manager.on('budget', (e) => events.push(e));
    await manager.rotateOnce();
    // 3000 used + 0 over? 50+800+50+100+2000 = 3000: at the limit, nothing to do.
    expect(events).toEqual([]);
    await fsp.appendFile(
      path.join(path.dirname((await manager.rotateOnce()).containers[0]!.logPath!), '0.log'),
      'L'.repeat(450),
    );
    await manager.rotateOnce();
    // 3450 used: the biggest user is huge (2000, all of it live), so its live log is rotated and that
    // rotation deleted, leaving 1450; big (1300) and small keep their history.
    expect(await files('big')).toEqual(['0.log', '0.log.20261101-000000', '0.log.20261102-000000']);
    expect(await files('small')).toEqual(['0.log', '0.log.20261101-000000']);
    expect(await files('huge')).toEqual(['0.log']);
    expect(events.at(-1)).toMatchObject({ usedBytes: 1450, rotated: [expect.stringMatching(/huge/)] });
    expect(manager.usage).toEqual({ usedBytes: 1450, limitBytes: 3000 });
  });

  it("never rewards a runaway live log with its neighbours' history", async () => {
    // The reproduction of issue 13: node limit 1000, budget 2000, one pod at max-size 100T with a
    // live log of 3100; before, the victim's rotations went and usage stayed over the budget.
    const { manager, files } = await node(
      {
        runaway: { live: 3100, annotations: { 'crilog.io/max-size': '100T' } },
        victim: {
          live: 100,
          rotated: [
            ['20261126-000000', 500],
            ['20261126-010000', 500],
          ],
        },
      },
      { maxSize: 1000, maxTotalSize: 2000, compression: 'none' },
    );
    await manager.rotateOnce();
    expect(await files('victim')).toEqual(['0.log', '0.log.20261126-000000', '0.log.20261126-010000']);
    expect(await files('runaway')).toEqual(['0.log']);
    expect(manager.usage.usedBytes).toBeLessThanOrEqual(2000);
  });

  it('is checked when a trigger rotates one container', async () => {
    const { manager, files } = await node(
      {
        a: { live: 500, rotated: [['20261101-000000', 300]] },
        b: { live: 10, rotated: [['20261101-000000', 300]] },
      },
      { maxTotalSize: 1000, maxSize: 400, compression: 'none' },
    );
    await manager.checkContainer('b');
    await manager.checkContainer('a');
    // a rotated (its 500 bytes moved to a rotated file); 1110 > 1000, so a's oldest (300) goes.
    expect(await files('a')).toEqual(['0.log', '0.log.20261127-100000']);
    expect(await files('b')).toEqual(['0.log', '0.log.20261101-000000']);
  });
});

describe('a mixed node under a budget', () => {
  it('applies every policy together, file by file', async () => {
    const day = 86_400_000;
    const { manager, files, logs } = await node(
      {
        web: {
          live: 150,
          rotated: [
            ['20261120-000000', 200, false, 7 * day],
            ['20261125-000000', 200, false, day],
          ],
        },
        batch: {
          state: 'exited',
          live: 300,
          rotated: [
            ['20261110-000000', 200],
            ['20261111-000000', 200],
            ['20261112-000000', 200],
          ],
        },
        noisy: {
          live: 90,
          annotations: {
            'crilog.io/max-size': '80',
            'crilog.io/max-files': '2',
            'crilog.io/compression': 'none',
          },
          rotated: [['20261126-000000', 200]],
        },
        broken: { live: 10, annotations: { 'crilog.io/max-files': 'x' }, rotated: [['20261126-000000', 50]] },
      },
      { maxSize: 100, maxFiles: 3, maxAge: '6d', maxTotalSize: 1400, compressionLevel: 1 },
    );
    await manager.rotateOnce();
    // web: its 7-day-old file expired; rotated at 150 >= 100; the day-old file is compressed.
    expect(await files('web')).toEqual(['0.log', '0.log.20261125-000000.gz', '0.log.20261127-100000']);
    // batch (stopped): trimmed to maxFiles-1 = 2 rotated files, both compressed; live log untouched.
    expect(await files('batch')).toEqual(['0.log', '0.log.20261111-000000.gz', '0.log.20261112-000000.gz']);
    expect(await fsp.readFile(logs.batch!, 'utf8')).toBe('L'.repeat(300));
    // noisy: rotated at 80 with max-files 2, so its older rotation went; no compression.
    expect(await files('noisy')).toEqual(['0.log', '0.log.20261127-100000']);
    // broken: bad annotation, node defaults (below the limit, newest rotation kept raw).
    expect(await files('broken')).toEqual(['0.log', '0.log.20261126-000000']);
    expect(manager.usage.usedBytes).toBeLessThanOrEqual(1400);
  });
});
