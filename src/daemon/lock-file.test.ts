import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/tmpdir.js';
import {
  acquireLock,
  isAlive,
  LockedError,
  MAX_LOCK_BYTES,
  processStartTime,
  readLockFile,
} from './lock-file.js';

/** PID of a process that has exited (and been reaped), so nothing runs under it. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid as number;
}

describe('acquireLock', () => {
  it('creates the lock (and its directory) recording our PID, and releases it', async () => {
    const dir = await tempDir('crilog-lock-');
    const file = path.join(dir, 'run', 'crilog.lock');
    const lock = await acquireLock(file, 'crilog daemon');
    const owner = JSON.parse(await fsp.readFile(file, 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, command: 'crilog daemon' });
    await lock.release();
    await expect(fsp.access(file)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await fsp.readdir(path.dirname(file))).toEqual([]);
  });

  it('refuses a second holder while the first lives, naming its PID and command', async () => {
    const dir = await tempDir('crilog-lock-');
    const file = path.join(dir, 'crilog.lock');
    // The parent process stands in for another live crilog.
    await fsp.writeFile(
      file,
      JSON.stringify({ pid: process.ppid, command: 'crilog daemon', since: '2026-01-01T00:00:00Z' }),
    );
    const err = await acquireLock(file, 'crilog rotate --once').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockedError);
    expect((err as LockedError).code).toBe('ERR_LOCKED');
    expect((err as Error).message).toContain(`PID ${process.ppid}`);
    expect((err as Error).message).toContain('"crilog daemon"');
    expect((err as Error).message).toContain(file);
  });

  it('takes over the lock of a dead process', async () => {
    const dir = await tempDir('crilog-lock-');
    const file = path.join(dir, 'crilog.lock');
    await fsp.writeFile(file, JSON.stringify({ pid: await deadPid(), command: 'crilog daemon', since: 'x' }));
    const lock = await acquireLock(file, 'crilog daemon');
    expect(JSON.parse(await fsp.readFile(file, 'utf8')).pid).toBe(process.pid);
    await lock.release();
    expect(await fsp.readdir(dir)).toEqual([]);
  });

  it('takes over a lock naming our own PID (an earlier life of this PID, e.g. PID 1 in a restarted container)', async () => {
    const dir = await tempDir('crilog-lock-');
    const file = path.join(dir, 'crilog.lock');
    await fsp.writeFile(file, JSON.stringify({ pid: process.pid, command: 'crilog daemon', since: 'x' }));
    const lock = await acquireLock(file, 'crilog daemon');
    await lock.release();
  });

  it('takes over a lock whose PID was reused by another process (start time differs)', async () => {
    const dir = await tempDir('crilog-lock-');
    const file = path.join(dir, 'crilog.lock');
    const start = processStartTime(process.ppid);
    if (start === undefined) return; // no /proc here
    await fsp.writeFile(
      file,
      JSON.stringify({ pid: process.ppid, startTime: `${start}0`, command: 'crilog daemon', since: 'x' }),
    );
    const lock = await acquireLock(file, 'crilog daemon');
    await lock.release();
  });

  it('takes over an unreadable (garbage) lock', async () => {
    const dir = await tempDir('crilog-lock-');
    const file = path.join(dir, 'crilog.lock');
    await fsp.writeFile(file, 'not json');
    const lock = await acquireLock(file, 'crilog daemon');
    await lock.release();
  });

  it('never removes a lock that is no longer ours', async () => {
    const dir = await tempDir('crilog-lock-');
    const file = path.join(dir, 'crilog.lock');
    const lock = await acquireLock(file, 'crilog daemon');
    const foreign = JSON.stringify({ pid: process.ppid, command: 'other', since: 'x' });
    await fsp.writeFile(file, foreign);
    await lock.release();
    lock.releaseSync();
    expect(await fsp.readFile(file, 'utf8')).toBe(foreign);
  });

  it('fails with a fix when the lock directory cannot be created', async () => {
    const dir = await tempDir('crilog-lock-');
    await fsp.writeFile(path.join(dir, 'file'), '');
    await expect(acquireLock(path.join(dir, 'file', 'crilog.lock'), 'crilog daemon')).rejects.toThrow(
      /--lock-file/,
    );
  });
});

describe('isAlive', () => {
  it('knows live, dead and own PIDs', async () => {
    expect(isAlive({ pid: process.ppid, command: 'x', since: 'x' })).toBe(true);
    expect(isAlive({ pid: await deadPid(), command: 'x', since: 'x' })).toBe(false);
    expect(isAlive({ pid: process.pid, command: 'x', since: 'x' })).toBe(false);
  });
});

describe('acquireLock against planted files', () => {
  it('never writes through a symlink planted at the old, predictable temp name', async () => {
    const dir = await tempDir('crilog-lock-');
    const file = path.join(dir, 'crilog.lock');
    const victim = path.join(dir, 'victim');
    await fsp.writeFile(victim, 'precious\n');
    await fsp.symlink(victim, `${file}.${process.pid}.tmp`);
    const lock = await acquireLock(file, 'crilog daemon');
    expect(await fsp.readFile(victim, 'utf8')).toBe('precious\n');
    expect((await fsp.lstat(file)).isFile()).toBe(true);
    await lock.release();
    // Only the planted link is left: the random temp name is gone.
    expect((await fsp.readdir(dir)).sort()).toEqual([`crilog.lock.${process.pid}.tmp`, 'victim']);
  });

  it('refuses at once, without blocking, a FIFO at the lock path', async () => {
    const dir = await tempDir('crilog-lock-');
    const file = path.join(dir, 'crilog.lock');
    await mkfifo(file);
    const started = performance.now();
    await expect(acquireLock(file, 'crilog daemon')).rejects.toThrow(/is not a regular file.*remove it/);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('never follows a symlink at the lock path', async () => {
    const dir = await tempDir('crilog-lock-');
    const file = path.join(dir, 'crilog.lock');
    await fsp.writeFile(
      path.join(dir, 'elsewhere'),
      JSON.stringify({ pid: process.ppid, command: 'x', since: 'x' }),
    );
    await fsp.symlink(path.join(dir, 'elsewhere'), file);
    await expect(acquireLock(file, 'crilog daemon')).rejects.toThrow(
      /is a symlink, which crilog never follows/,
    );
  });

  it('reads at most 4 KiB of a huge lock file, treats it as stale and takes over', async () => {
    const dir = await tempDir('crilog-lock-');
    const file = path.join(dir, 'crilog.lock');
    await fsp.writeFile(file, Buffer.alloc(64 * 1024 * 1024, 'x'));
    expect(Buffer.byteLength(await readLockFile(file))).toBe(MAX_LOCK_BYTES + 1);
    const lock = await acquireLock(file, 'crilog daemon');
    expect(JSON.parse(await fsp.readFile(file, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });
});

async function mkfifo(file: string): Promise<void> {
  const child = spawn('mkfifo', [file], { stdio: 'inherit' });
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`mkfifo ${file} failed`);
}
