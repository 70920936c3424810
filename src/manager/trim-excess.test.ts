import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeRuntime } from '../../test/helpers/fake-runtime.js';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { ContainerLogManager } from './container-log-manager.js';
import { EXCESS_PER_CHECK } from './trim-excess.js';

describe('a log directory flooded with rotation-named files', () => {
  it('is trimmed in bounded batches per check, never through a symlink, keeping the newest rotations', async () => {
    const dir = await tempDir();
    const log = path.join(dir, '0.log');
    await fsp.writeFile(log, 'live\n');
    const n = EXCESS_PER_CHECK + 3000;
    for (let i = 0; i < n; i += 1000)
      await Promise.all(
        Array.from({ length: Math.min(1000, n - i) }, (_, j) =>
          fsp.writeFile(`${log}.20200101-000000-${i + j + 1}.gz`, ''),
        ),
      );
    // The oldest name of all is a link to a file outside: it must survive as a link, target untouched.
    await fsp.writeFile(path.join(dir, 'outside'), 'keep\n');
    await fsp.symlink(path.join(dir, 'outside'), `${log}.20200101-000000.gz`);
    const runtime = new FakeRuntime();
    runtime.add('c', log);
    const manager = new ContainerLogManager({ runtime, maxSize: '10Mi', maxFiles: 5 });
    const first = (await manager.rotateOnce()).containers[0]!;
    expect(first.error).toBeUndefined();
    expect(first.removed).toHaveLength(EXCESS_PER_CHECK);
    const second = (await manager.rotateOnce()).containers[0]!;
    expect(second.removed!.length).toBe(n - EXCESS_PER_CHECK - 4);
    const left = (await fsp.readdir(dir)).sort();
    expect(left).toEqual(
      [
        '0.log',
        'outside',
        '0.log.20200101-000000.gz',
        ...[n - 3, n - 2, n - 1, n].map((i) => `0.log.20200101-000000-${i}.gz`),
      ].sort(),
    );
    expect((await fsp.lstat(`${log}.20200101-000000.gz`)).isSymbolicLink()).toBe(true);
    expect(await fsp.readFile(path.join(dir, 'outside'), 'utf8')).toBe('keep\n');
  });
});
