import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DEFAULT_POLICY_BOUNDS } from '../../policy/policy-bounds.js';
import { describe, expect, it } from 'vitest';
import { FakeRuntime } from '../../../test/helpers/fake-runtime.js';
import { tempDir } from '../../../test/helpers/tmpdir.js';
import { collectUsage, stampToIso } from './collect-usage.js';
import { gzipUncompressedSize } from './gzip-size.js';

describe('gzipUncompressedSize', () => {
  it('reads the size from the gzip trailer', async () => {
    const dir = await tempDir('crilog-status-');
    const file = path.join(dir, 'a.gz');
    const data = Buffer.alloc(123_456, 'log line\n');
    await fsp.writeFile(file, gzipSync(data));
    expect(await gzipUncompressedSize(file)).toBe(123_456);
  });

  it('is undefined for a missing or truncated file', async () => {
    const dir = await tempDir('crilog-status-');
    await fsp.writeFile(path.join(dir, 'short.gz'), 'abc');
    expect(await gzipUncompressedSize(path.join(dir, 'short.gz'))).toBeUndefined();
    expect(await gzipUncompressedSize(path.join(dir, 'missing.gz'))).toBeUndefined();
  });
});

describe('collectUsage', () => {
  it('reports live size against the limit, rotated files, bytes on disk, compression ratio and last rotation', async () => {
    const root = await tempDir('crilog-status-');
    const dir = path.join(root, 'ns_pod_uid', 'web');
    await fsp.mkdir(dir, { recursive: true });
    const live = path.join(dir, '0.log');
    await fsp.writeFile(live, Buffer.alloc(300, 'x'));
    const raw = Buffer.alloc(10_000, 'abc\n');
    const gz = gzipSync(raw);
    await fsp.writeFile(`${live}.20260101-000000.gz`, gz);
    await fsp.writeFile(`${live}.20260102-030405`, Buffer.alloc(500, 'y'));
    await fsp.writeFile(`${live}.20260102-030405.tmp`, 'partial');
    const outsideDir = await tempDir('crilog-outside-');
    const runtime = new FakeRuntime();
    runtime.add('c1', live, 'running', { labels: { 'io.kubernetes.container.name': 'web' } });
    runtime.add('c2', path.join(outsideDir, '0.log'));
    runtime.add('c3', path.join(root, 'gone', '0.log'), 'exited');
    const report = await collectUsage({
      runtime,
      logRoots: [root],
      maxSize: 1000,
      maxFiles: 5,
      now: new Date('2026-01-02T03:05:00Z'),
    });
    expect(report).toMatchObject({
      source: 'runtime',
      limits: { maxSize: 1000, maxFiles: 5 },
      generatedAt: '2026-01-02T03:05:00.000Z',
    });
    const [web, outside, exited] = report.containers;
    expect(web).toMatchObject({
      id: 'c1',
      name: 'web',
      state: 'running',
      managed: true,
      liveBytes: 300,
      limitBytes: 1000,
      liveRatio: 0.3,
      rotatedFiles: 2,
      compressedFiles: 1,
      bytesOnDisk: 300 + gz.length + 500,
      compressedBytes: gz.length,
      uncompressedBytes: 10_000,
      lastRotation: '2026-01-02T03:04:05Z',
    });
    expect(web!.compressionRatio).toBeCloseTo(10_000 / gz.length);
    expect(outside).toMatchObject({
      id: 'c2',
      managed: false,
      note: expect.stringMatching(/outside log roots/),
      liveBytes: null,
      bytesOnDisk: 0,
    });
    expect(exited).toMatchObject({ id: 'c3', state: 'exited', managed: false, note: 'live log missing' });
    expect(report.totals).toEqual({
      containers: 3,
      managed: 1,
      rotatedFiles: 2,
      bytesOnDisk: web!.bytesOnDisk,
    });
  });

  it("shows each container's own limit when a crilog.io annotation overrides the node policy", async () => {
    const root = await tempDir('crilog-status-');
    await fsp.writeFile(path.join(root, 'a.log'), Buffer.alloc(1024));
    const runtime = new FakeRuntime();
    runtime.add('a', path.join(root, 'a.log'), 'running', { annotations: { 'crilog.io/max-size': '2Ki' } });
    const node = {
      maxSize: 4096,
      maxFiles: 5,
      maxAgeMs: null,
      compression: { codec: 'gzip' as const, level: 6 },
      delayCompress: true,
    };
    const on = await collectUsage({
      runtime,
      logRoots: [root],
      maxSize: 4096,
      maxFiles: 5,
      // A 2Ki limit is below the default floor (1Mi or the node's maxSize): the operator allows it here.
      policy: { node, annotations: true, bounds: { ...DEFAULT_POLICY_BOUNDS, minSize: 0 } },
    });
    expect(on.containers[0]).toMatchObject({ limitBytes: 2048, liveRatio: 0.5 });
    const off = await collectUsage({
      runtime,
      logRoots: [root],
      maxSize: 4096,
      maxFiles: 5,
      policy: { node, annotations: false },
    });
    expect(off.containers[0]).toMatchObject({ limitBytes: 4096, liveRatio: 0.25 });
  });

  it('notes a container removed between list and status', async () => {
    const runtime = new FakeRuntime();
    runtime.add('c1', '/var/log/pods/a/0.log');
    const list = runtime.listContainers.bind(runtime);
    runtime.listContainers = async () => {
      const l = await list();
      runtime.containers.clear();
      return l;
    };
    const report = await collectUsage({ runtime, logRoots: ['/var/log/pods'], maxSize: 10, maxFiles: 2 });
    expect(report.containers[0]).toMatchObject({ id: 'c1', note: 'removed', managed: false });
  });

  it('fails when the runtime cannot list containers', async () => {
    const runtime = new FakeRuntime();
    runtime.fail('listContainers', new Error('socket gone'));
    await expect(collectUsage({ runtime, logRoots: ['/'], maxSize: 1, maxFiles: 2 })).rejects.toThrow(
      'socket gone',
    );
  });

  it('converts rotation stamps to ISO time', () => {
    expect(stampToIso('20261127-092123')).toBe('2026-11-27T09:21:23Z');
  });
});
