import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, unlinkSync } from 'node:fs';
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { CrilogError } from '../errors/crilog-error.js';
import { errnoCode, O_NOFOLLOW, O_NONBLOCK } from '../ports/file-system.js';

/** A lock file holds one short JSON line; anything longer is not one of ours and is never read whole. */
export const MAX_LOCK_BYTES = 4096;

/** Opening flags for reading a lock: never through a symlink, never waiting on a FIFO or device. */
const READ_FLAGS = constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK;

function notRegular(file: string): CrilogError {
  return new CrilogError(
    'ERR_LOCKED',
    `lock file "${file}" is not a regular file (a FIFO, device or directory was put there); remove it, or pass --lock-file with another path`,
  );
}

/**
 * Reads a lock file safely: a symlink at its name fails (`ELOOP`) instead of being followed, a FIFO or
 * device is refused without blocking, and at most `MAX_LOCK_BYTES` are read.
 */
export async function readLockFile(file: string): Promise<string> {
  const handle = await open(file, READ_FLAGS);
  try {
    if (!(await handle.stat()).isFile()) throw notRegular(file);
    const buffer = Buffer.alloc(MAX_LOCK_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.toString('utf8', 0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** `readLockFile`, synchronously (for `process.on('exit')`). */
export function readLockFileSync(file: string): string {
  const fd = openSync(file, READ_FLAGS);
  try {
    if (!fstatSync(fd).isFile()) throw notRegular(file);
    const buffer = Buffer.alloc(MAX_LOCK_BYTES + 1);
    const bytesRead = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.toString('utf8', 0, bytesRead);
  } finally {
    closeSync(fd);
  }
}

/** A fresh name next to `file` that nobody can predict, so nothing can be planted there in advance. */
function randomName(file: string, tag: string): string {
  return `${file}.${tag}-${randomBytes(8).toString('hex')}`;
}

/** Writes `text` to a new file at `file`, failing if anything (a symlink included) is already there. */
async function createExclusive(file: string, text: string): Promise<void> {
  const handle = await open(
    file,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW,
    0o644,
  );
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}

/** What a lock file records about its holder. */
export interface LockOwner {
  pid: number;
  /** Kernel start time of the process (Linux `/proc/<pid>/stat` field 22), to see through PID reuse. */
  startTime?: string;
  /** What holds it, e.g. `crilog daemon`. */
  command: string;
  since: string;
}

/** A held lock; release it on exit. */
export interface LockHandle {
  readonly path: string;
  readonly owner: LockOwner;
  /** Removes the lock file if it still is ours. Never throws. */
  release(): Promise<void>;
  /** Same, synchronously, for `process.on('exit')`. */
  releaseSync(): void;
}

/** Another live crilog holds the lock. */
export class LockedError extends CrilogError {
  constructor(
    readonly lockPath: string,
    readonly holder: LockOwner,
  ) {
    super(
      'ERR_LOCKED',
      `another crilog is running on this node: "${holder.command}" (PID ${holder.pid}, since ${holder.since}) holds the lock file "${lockPath}"; ` +
        'stop it first (only one crilog may manage these logs), or use --lock-file if it manages different logs',
    );
  }
}

/** Locks this process holds, so a second taker in the same process is refused like any other. */
const heldHere = new Map<string, LockOwner>();

/** Linux start time of `pid`, or undefined where `/proc` is not available. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** True when `owner` still runs: the PID exists and, where known, started at the recorded time. */
export function isAlive(owner: LockOwner, self = process.pid): boolean {
  // Our own PID in the file means an earlier incarnation in this PID namespace (a restarted container).
  if (owner.pid === self) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if (errnoCode(err) !== 'EPERM') return false;
  }
  if (owner.startTime === undefined) return true;
  const now = processStartTime(owner.pid);
  return now === undefined || now === owner.startTime;
}

function parseOwner(text: string): LockOwner | undefined {
  if (text.length > MAX_LOCK_BYTES) return undefined;
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    return Number.isSafeInteger(o.pid) && (o.pid as number) > 0
      ? { command: 'crilog', since: '?', ...o, pid: o.pid as number }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the single-instance lock at `file`: two crilog processes rotating the same logs would race
 * each other's renames. The file is created whole (written aside, then hard-linked into place, which
 * fails if it exists), so a reader never sees a half-written owner. A lock whose holder is dead (a
 * SIGKILLed daemon) is taken over; a live holder makes this throw `LockedError` naming its PID.
 */
export async function acquireLock(file: string, command: string): Promise<LockHandle> {
  const mine = heldHere.get(path.resolve(file));
  if (mine) throw new LockedError(file, mine);
  const owner: LockOwner = { pid: process.pid, command, since: new Date().toISOString() };
  const startTime = processStartTime(process.pid);
  if (startTime !== undefined) owner.startTime = startTime;
  const text = `${JSON.stringify(owner)}\n`;
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
  } catch (cause) {
    throw new CrilogError(
      'ERR_LOCKED',
      `cannot create the directory of lock file "${file}": ${(cause as Error).message}; pass --lock-file with a writable path`,
      { cause },
    );
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const aside = randomName(file, 'new');
    try {
      await createExclusive(aside, text);
      try {
        await link(aside, file);
      } finally {
        await unlink(aside).catch(() => {});
      }
      return handle(file, owner, text);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') {
        throw new CrilogError(
          'ERR_LOCKED',
          `cannot create lock file "${file}": ${(err as Error).message}; pass --lock-file with a writable path`,
          { cause: err },
        );
      }
    }
    let seen: string;
    try {
      seen = await readLockFile(file);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue; // released meanwhile
      if (err instanceof CrilogError) throw err;
      const why =
        errnoCode(err) === 'ELOOP'
          ? 'it is a symlink, which crilog never follows; remove it'
          : (err as Error).message;
      throw new CrilogError('ERR_LOCKED', `cannot read lock file "${file}": ${why}`, { cause: err });
    }
    const holder = parseOwner(seen);
    if (holder && isAlive(holder)) throw new LockedError(file, holder);
    await breakStale(file, seen);
  }
  throw new CrilogError(
    'ERR_LOCKED',
    `could not take lock file "${file}": other processes keep racing for it`,
  );
}

/**
 * Moves a stale lock aside and checks it was the one judged stale; if a racing process had just
 * replaced it with a fresh lock, that lock is put back.
 */
async function breakStale(file: string, seen: string): Promise<void> {
  const aside = randomName(file, 'stale');
  try {
    await rename(file, aside);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw new CrilogError(
      'ERR_LOCKED',
      `cannot remove stale lock file "${file}": ${(err as Error).message}`,
      { cause: err },
    );
  }
  const moved = await readLockFile(aside).catch(() => seen);
  if (moved !== seen) await link(aside, file).catch(() => {});
  await unlink(aside).catch(() => {});
}

function handle(file: string, owner: LockOwner, text: string): LockHandle {
  let released = false;
  const key = path.resolve(file);
  heldHere.set(key, owner);
  const forget = () => {
    if (heldHere.get(key) === owner) heldHere.delete(key);
  };
  const ours = (content: string) => !released && content === text;
  return {
    path: file,
    owner,
    async release() {
      try {
        if (ours(await readLockFile(file))) await unlink(file);
      } catch {
        // Already gone or unreadable: nothing of ours to remove.
      }
      released = true;
      forget();
    },
    releaseSync() {
      try {
        if (ours(readLockFileSync(file))) unlinkSync(file);
      } catch {
        // As above.
      }
      released = true;
      forget();
    },
  };
}
