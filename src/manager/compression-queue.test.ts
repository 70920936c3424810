import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { nodeFileSystem, type FileSystem } from '../ports/file-system.js';
import { Limiter } from '../util/limiter.js';
import { CompressionQueue } from './compression-queue.js';

describe('CompressionQueue', () => {
  it('cancels a job still waiting for a slot at once, and it never touches its file', async () => {
    const dir = await tempDir();
    const [a, b] = [path.join(dir, 'a.log.20260101-000000'), path.join(dir, 'b.log.20260101-000000')];
    await fsp.writeFile(a, 'a'.repeat(1000));
    await fsp.writeFile(b, 'b'.repeat(1000));
    let unblock!: () => void;
    const blocked = new Promise<void>((r) => (unblock = r));
    // The first job's open hangs until the test lets it go, so it holds the only slot.
    const fs: FileSystem = {
      ...nodeFileSystem,
      open: async (p, f, m) =>
        p === a ? blocked.then(() => nodeFileSystem.open(p, f, m)) : nodeFileSystem.open(p, f, m),
    };
    const queue = new CompressionQueue(new Limiter(1), { fs, emit: () => {} });
    const first = queue.schedule('a', a, { codec: 'gzip', level: 1 });
    const second = queue.schedule('b', b, { codec: 'gzip', level: 1 });
    await queue.cancel(b); // resolves although the slot is still taken
    expect(queue.isBusy(b)).toBe(false);
    await fsp.rm(b);
    unblock();
    expect(await first).toMatchObject({ target: `${a}.gz` });
    expect(await second).toBeUndefined();
    expect((await fsp.readdir(dir)).sort()).toEqual(['a.log.20260101-000000.gz']);
  });
});
