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

  it('without waiting, cancels a running compression at once and no compressed twin appears later', async () => {
    const dir = await tempDir();
    const raw = path.join(dir, 'a.log.20260101-000000');
    await fsp.writeFile(raw, 'line\n'.repeat(200_000));
    let unblock!: () => void;
    const blocked = new Promise<void>((r) => (unblock = r));
    let tmpOpened!: () => void;
    const opened = new Promise<void>((r) => (tmpOpened = r));
    // The .tmp is opened, then its first write hangs: the job is mid-compression when it is cancelled.
    const fs: FileSystem = {
      ...nodeFileSystem,
      open: async (p, f, m) => {
        const handle = await nodeFileSystem.open(p, f, m);
        if (!p.endsWith('.tmp')) return handle;
        tmpOpened();
        const write = handle.write.bind(handle) as (...args: unknown[]) => Promise<unknown>;
        return Object.assign(handle, {
          write: (...args: unknown[]) => blocked.then(() => write(...args)),
        }) as typeof handle;
      },
    };
    const events: string[] = [];
    const queue = new CompressionQueue(new Limiter(1), { fs, emit: (e) => events.push(e.outcome) });
    const job = queue.schedule('a', raw, { codec: 'gzip', level: 1 });
    await opened;
    await queue.cancel(raw, { wait: false });
    // The rotation path deletes the file right away, as trimming does, while the job still runs.
    expect(queue.isBusy(raw)).toBe(true);
    await fsp.rm(raw);
    unblock();
    expect(await job).toBeUndefined();
    expect(queue.isBusy(raw)).toBe(false);
    expect(await fsp.readdir(dir)).toEqual([]);
    expect(events).toEqual(['skipped']);
  });

  it('waits for a compression that already issued its final rename, so the count bound holds', async () => {
    const dir = await tempDir();
    const raw = path.join(dir, 'a.log.20260101-000000');
    await fsp.writeFile(raw, 'line\n'.repeat(1000));
    let unblock!: () => void;
    const blocked = new Promise<void>((r) => (unblock = r));
    let renaming!: () => void;
    const atRename = new Promise<void>((r) => (renaming = r));
    const fs: FileSystem = {
      ...nodeFileSystem,
      // The final move of a compression is a link() (never replacing), then the unlink of the .tmp.
      link: async (from, to) => {
        renaming();
        await blocked;
        return nodeFileSystem.link(from, to);
      },
    };
    const queue = new CompressionQueue(new Limiter(1), { fs, emit: () => {} });
    const job = queue.schedule('a', raw, { codec: 'gzip', level: 1 });
    await atRename;
    let cancelled = false;
    const cancel = queue.cancel(raw, { wait: false }).then(() => (cancelled = true));
    await new Promise((r) => setImmediate(r));
    expect(cancelled).toBe(false);
    unblock();
    await cancel;
    // The compression won the race: the caller now sees (and deletes) the .gz, never a late one.
    expect(await job).toMatchObject({ target: `${raw}.gz` });
    expect(await fsp.readdir(dir)).toEqual(['a.log.20260101-000000.gz']);
  });
});
