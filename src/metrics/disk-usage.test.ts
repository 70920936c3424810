import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { nodeFileSystem } from '../ports/file-system.js';
import { DiskUsage } from './disk-usage.js';

describe('DiskUsage of watched containers', () => {
  it('lists them again when their watch saw a change or after the long age, not at every short age', async () => {
    const dir = await tempDir('crilog-disk-');
    let now = 0;
    const listed: string[] = [];
    const fs = { ...nodeFileSystem, readdir: (d: string) => (listed.push(d), nodeFileSystem.readdir(d)) };
    const usage = new DiskUsage(fs, 1000, () => now, {
      watched: (id) => id !== 'polled',
      watchedMaxAgeMs: 60_000,
    });
    const containers = [];
    for (const id of ['a', 'polled']) {
      const logPath = path.join(dir, id, '0.log');
      await fsp.mkdir(path.dirname(logPath));
      await fsp.writeFile(`${logPath}.20260101-000000.gz`, Buffer.alloc(100));
      containers.push({ id, logPath, action: 'none' as const, size: 1, limit: 10 });
    }
    usage.observePass({ startedAt: new Date(), durationMs: 0, containers });
    expect(await usage.total()).toBe(202);
    listed.length = 0;
    now = 5000;
    await usage.total();
    // Past the short age only the container without a watch is listed again.
    expect(listed).toEqual([path.join(dir, 'polled')]);
    // Someone else deletes a rotated file of the watched one: its watch tells, the next scrape sees it.
    await fsp.rm(path.join(dir, 'a', '0.log.20260101-000000.gz'));
    usage.invalidate('a');
    listed.length = 0;
    expect(await usage.total()).toBe(102);
    expect(listed).toEqual([path.join(dir, 'a')]);
    now = 70_000;
    listed.length = 0;
    // Both past the long age: listed again, a share (here one) per scrape.
    await usage.total();
    await usage.total();
    expect(listed.sort()).toEqual([path.join(dir, 'a'), path.join(dir, 'polled')]);
  });
});
