import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { FakeRuntime } from '../../test/helpers/fake-runtime.js';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { ContainerLogManager } from '../manager/container-log-manager.js';
import { nodeFileSystem, type FileSystem } from '../ports/file-system.js';
import { moveNoReplace } from './move-no-replace.js';
import { parseRotatedName } from './naming.js';

describe('moveNoReplace', () => {
  it('moves a file, and refuses with EEXIST to replace one, leaving both intact', async () => {
    const dir = await tempDir();
    const [a, b, c] = ['a', 'b', 'c'].map((n) => path.join(dir, n)) as [string, string, string];
    await fsp.writeFile(a, 'A');
    await fsp.writeFile(b, 'B');
    await expect(moveNoReplace(nodeFileSystem, a, b)).rejects.toMatchObject({ code: 'EEXIST' });
    expect([await fsp.readFile(a, 'utf8'), await fsp.readFile(b, 'utf8')]).toEqual(['A', 'B']);
    await moveNoReplace(nodeFileSystem, a, c);
    expect((await fsp.readdir(dir)).sort()).toEqual(['b', 'c']);
  });

  it('falls back to a checked rename where the filesystem has no hard links', async () => {
    const dir = await tempDir();
    const fs: FileSystem = {
      ...nodeFileSystem,
      link: async () => Promise.reject(Object.assign(new Error('EPERM'), { code: 'EPERM' })),
    };
    await fsp.writeFile(path.join(dir, 'a'), 'A');
    await fsp.writeFile(path.join(dir, 'b'), 'B');
    await expect(moveNoReplace(fs, path.join(dir, 'a'), path.join(dir, 'b'))).rejects.toMatchObject({
      code: 'EEXIST',
    });
    await moveNoReplace(fs, path.join(dir, 'a'), path.join(dir, 'c'));
    expect((await fsp.readdir(dir)).sort()).toEqual(['b', 'c']);
  });
});

describe('rotation names past 9 digits of sequence', () => {
  it('parse back, so later rotations never overwrite earlier ones', () => {
    expect(parseRotatedName('0.log', '0.log.20990101-000000-1000000000.gz')).toMatchObject({
      seq: 1_000_000_000,
      codec: 'gzip',
    });
  });

  it('rotating after a 9-digit sequence keeps every rotation', async () => {
    const dir = await tempDir();
    const log = path.join(dir, '0.log');
    // Dated in the future, so every new name must come after it with a higher sequence number.
    await fsp.writeFile(`${log}.20990101-000000-999999999`, 'old\n');
    const runtime = new FakeRuntime();
    runtime.add('c1', log);
    const manager = new ContainerLogManager({
      runtime,
      clock: new FakeClock(),
      maxSize: 1,
      maxFiles: 10,
      minRotationInterval: 0,
      compression: 'none',
    });
    for (let i = 0; i < 3; i++) {
      await fsp.appendFile(log, `rotation ${i}\n`);
      expect((await manager.rotateOnce()).containers[0]).toMatchObject({ action: 'rotated' });
    }
    const names = (await fsp.readdir(dir)).filter((n) => n !== '0.log').sort();
    expect(names).toEqual([
      '0.log.20990101-000000-1000000000',
      '0.log.20990101-000000-1000000001',
      '0.log.20990101-000000-1000000002',
      '0.log.20990101-000000-999999999',
    ]);
    const texts = await Promise.all(names.map((n) => fsp.readFile(path.join(dir, n), 'utf8')));
    expect(texts.sort()).toEqual(['old\n', 'rotation 0\n', 'rotation 1\n', 'rotation 2\n']);
  });

  it('a file planted at the next name after the listing is never replaced', async () => {
    const dir = await tempDir();
    const log = path.join(dir, '0.log');
    await fsp.writeFile(log, 'live\n');
    const planted = `${log}.20261127-100000`;
    const fs: FileSystem = {
      ...nodeFileSystem,
      async readdir(d) {
        const entries = await nodeFileSystem.readdir(d);
        // A stranger makes the name crilog is about to choose, right after crilog listed the directory.
        await fsp.writeFile(planted, 'planted\n').catch(() => {});
        return entries;
      },
    };
    const runtime = new FakeRuntime();
    runtime.add('c1', log);
    const manager = new ContainerLogManager({
      runtime,
      clock: new FakeClock(),
      maxSize: 1,
      fs,
      compression: 'none',
    });
    expect((await manager.rotateOnce()).containers[0]).toMatchObject({
      action: 'rotated',
      rotatedTo: `${planted}-1`,
    });
    expect(await fsp.readFile(planted, 'utf8')).toBe('planted\n');
    expect(await fsp.readFile(`${planted}-1`, 'utf8')).toBe('live\n');
  });
});
