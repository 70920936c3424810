import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CompressionPool } from '../codecs/worker/compression-pool.js';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { nodeFileSystem, type FileSystem } from '../ports/file-system.js';
import { compressFile } from './compress.js';

const enospc = () => Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });

describe('compressFile', () => {
  it.each([
    ['on the calling thread', false],
    ['on a pool worker', true],
  ])('round-trips the data %s and keeps mode, owner and mtime of the raw file', async (_where, onPool) => {
    const pool = onPool ? new CompressionPool() : undefined;
    onTestFinished(() => pool?.close());
    const dir = await tempDir();
    const raw = path.join(dir, '0.log.20260101-120000');
    // Over 2 MiB, so the pool path goes through more read chunks than it has buffers.
    const data = 'x'.repeat(100_000) + '\nline\n' + 'a log line of text\n'.repeat(150_000);
    await fsp.writeFile(raw, data, { mode: 0o600 });
    await fsp.chmod(raw, 0o600);
    const mtime = new Date('2026-01-01T12:00:00Z');
    await fsp.utimes(raw, mtime, mtime);
    const before = await fsp.stat(raw);

    const result = await compressFile(raw, pool ? { pool } : {});
    expect(result).toMatchObject({ target: `${raw}.gz`, bytesIn: data.length });
    const st = await fsp.stat(`${raw}.gz`);
    expect(st.mode & 0o777).toBe(0o600);
    expect([st.uid, st.gid]).toEqual([before.uid, before.gid]);
    expect(st.mtimeMs).toBe(mtime.getTime());
    expect(st.size).toBe(result.bytesOut);
    expect(gunzipSync(await fsp.readFile(`${raw}.gz`)).toString()).toBe(data);
    expect(await fsp.readdir(dir)).toEqual([path.basename(raw) + '.gz']);
  });

  it.each(['write', 'rename'] as const)(
    'on a failing %s keeps the raw file and removes the .tmp',
    async (step) => {
      const dir = await tempDir();
      const raw = path.join(dir, '0.log.20260101-120000');
      await fsp.writeFile(raw, 'data\n'.repeat(1000));
      const fs: FileSystem = {
        ...nodeFileSystem,
        async open(p, flags, mode) {
          const handle = await nodeFileSystem.open(p, flags, mode);
          if (step !== 'write' || !p.endsWith('.tmp')) return handle;
          return Object.assign(Object.create(handle), {
            write: async () => Promise.reject(enospc()),
            close: () => handle.close(),
          });
        },
        // The final move is a link() (never replacing), or a rename() where links are not supported.
        rename: step === 'rename' ? async () => Promise.reject(enospc()) : nodeFileSystem.rename,
        link: step === 'rename' ? async () => Promise.reject(enospc()) : nodeFileSystem.link,
      };
      const err = await compressFile(raw, { fs }).catch((e: Error) => e);
      expect(err).toMatchObject({ code: 'ERR_COMPRESSION', message: expect.stringContaining('ENOSPC') });
      expect(await fsp.readdir(dir)).toEqual([path.basename(raw)]);
      expect(await fsp.readFile(raw, 'utf8')).toBe('data\n'.repeat(1000));
    },
  );

  it.each([
    ['on the calling thread', false],
    ['on a pool worker', true],
  ])(
    'refuses a FIFO under a rotated name at once, %s, instead of waiting for a writer',
    async (_w, onPool) => {
      const pool = onPool ? new CompressionPool() : undefined;
      onTestFinished(() => pool?.close());
      const dir = await tempDir();
      const raw = path.join(dir, '0.log.20260101-120000');
      execFileSync('mkfifo', [raw]);
      const started = performance.now();
      const err = await compressFile(raw, pool ? { pool } : {}).catch((e: Error) => e);
      expect(err).toMatchObject({
        code: 'ERR_COMPRESSION',
        message: expect.stringContaining('not a regular file'),
      });
      expect(performance.now() - started).toBeLessThan(5000);
      expect(await fsp.readdir(dir)).toEqual([path.basename(raw)]);
    },
  );

  it('never reads through a symlink and never writes through a planted .tmp link', async () => {
    const dir = await tempDir();
    const secret = path.join(dir, 'secret');
    await fsp.writeFile(secret, 'secret');
    const link = path.join(dir, '0.log.20260101-120000');
    await fsp.symlink(secret, link);
    await expect(compressFile(link)).rejects.toMatchObject({ code: 'ERR_COMPRESSION' });

    const raw = path.join(dir, '0.log.20260101-130000');
    await fsp.writeFile(raw, 'data');
    await fsp.symlink(secret, `${raw}.tmp`);
    await expect(compressFile(raw)).rejects.toMatchObject({ code: 'ERR_COMPRESSION' });
    expect(await fsp.readFile(secret, 'utf8')).toBe('secret');
    expect(await fsp.readFile(raw, 'utf8')).toBe('data');
  });
});
