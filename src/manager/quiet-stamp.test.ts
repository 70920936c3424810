import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { nodeFileSystem } from '../ports/file-system.js';
import { quietStamp, RACY_MS } from './quiet-stamp.js';

/** A container directory with its live log, its times set `ageMs` into the past. */
async function containerDir(ageMs = 60_000) {
  const dir = path.join(await tempDir('crilog-stamp-'), 'app');
  await fsp.mkdir(dir);
  const log = path.join(dir, '0.log');
  await fsp.writeFile(log, 'line\n');
  const age = async () => {
    const then = new Date(Date.now() - ageMs);
    await fsp.utimes(dir, then, then);
  };
  await age();
  return { dir, log, age };
}

// Setting a directory's mtime makes its ctime now: stamps are read with `now` a minute ahead.
const later = () => Date.now() + 60_000;

describe('quietStamp', () => {
  it('stays the same while nothing changes, however many names the directory holds', async () => {
    const { dir, log, age } = await containerDir();
    await Promise.all(Array.from({ length: 300 }, (_, i) => fsp.writeFile(path.join(dir, `x-${i}`), '')));
    await age();
    const stamp = quietStamp(nodeFileSystem, log, later());
    expect(stamp).toBeTypeOf('string');
    expect(quietStamp(nodeFileSystem, log, later())).toBe(stamp);
  });

  it('differs once a name is added, removed or renamed, or the live log grows', async () => {
    const { dir, log } = await containerDir();
    const changes = [
      () => fsp.writeFile(path.join(dir, '0.log.20260101-000000'), 'x'),
      () => fsp.rename(path.join(dir, '0.log.20260101-000000'), path.join(dir, '0.log.20260101-000001')),
      () => fsp.unlink(path.join(dir, '0.log.20260101-000001')),
      () => fsp.appendFile(log, 'more\n'),
    ];
    const seen = new Set([quietStamp(nodeFileSystem, log, later())]);
    for (const change of changes) {
      await change();
      const stamp = quietStamp(nodeFileSystem, log, later());
      expect(stamp).toBeTypeOf('string');
      expect(seen.has(stamp)).toBe(false);
      seen.add(stamp);
    }
  });

  it('is undefined for a directory changed within RACY_MS of now (a second change could keep its times)', async () => {
    const { dir, log } = await containerDir();
    await fsp.writeFile(path.join(dir, 'new'), '');
    const { mtimeMs } = await fsp.lstat(dir);
    expect(quietStamp(nodeFileSystem, log, mtimeMs + RACY_MS / 2)).toBeUndefined();
    expect(quietStamp(nodeFileSystem, log, mtimeMs - RACY_MS / 2)).toBeUndefined();
    expect(quietStamp(nodeFileSystem, log, mtimeMs + RACY_MS + 1)).toBeTypeOf('string');
  });

  it('is undefined when the log or its directory cannot be read, or the port reads nothing synchronously', async () => {
    const { dir, log } = await containerDir();
    expect(quietStamp(nodeFileSystem, path.join(dir, 'gone.log'), later())).toBeUndefined();
    const { lstatSync: _, ...asyncOnly } = nodeFileSystem;
    expect(quietStamp(asyncOnly, log, later())).toBeUndefined();
  });
});
