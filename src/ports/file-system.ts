import { constants, lstatSync, opendirSync, promises as fsp, type Stats } from 'node:fs';

/**
 * The filesystem operations rotation performs, as a port so tests can inject faults (ENOSPC, EIO,
 * EACCES) at any single step. The default is Node's `fs/promises`.
 */
export interface FileSystem {
  /** Never follows a symlink: the rotation engine must see links as links. */
  lstat(path: string): Promise<Stats>;
  readdir(dir: string): Promise<string[]>;
  rename(from: string, to: string): Promise<void>;
  /** Creates `to` as a second name of `from`; fails with EEXIST instead of replacing. */
  link(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  open(path: string, flags: number, mode?: number): Promise<fsp.FileHandle>;
  /** Changes the owner of `path` itself, never of a symlink's target. */
  chown(path: string, uid: number, gid: number): Promise<void>;
  /** Makes renames and unlinks inside `dir` durable. */
  fsyncDir(dir: string): Promise<void>;
  /**
   * Optional: the size of `path` (not following a symlink), read synchronously; undefined when it cannot
   * be read. The idle passes use it to look at many live logs that are expected unchanged: on a local
   * disk the system call takes microseconds, where an asynchronous `lstat` costs a trip through libuv's
   * thread pool, a promise and a `Stats` object that outlives the young generation. Without it they
   * use `lstat`.
   */
  sizeSync?(path: string): number | undefined;
  /**
   * Optional, for the same idle passes: the names in `dir`, read synchronously; undefined when it
   * cannot be read or holds more than `limit` entries (a flooded directory must not block the event
   * loop: it gets the asynchronous check instead).
   */
  readdirSync?(dir: string, limit: number): string[] | undefined;
}

/** `O_NOFOLLOW` where the platform has it: opening a symlink then fails with ELOOP. */
export const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** `O_NONBLOCK`: opening a FIFO or device returns at once instead of waiting for the other end. */
export const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/** Node's real filesystem. */
export const nodeFileSystem: FileSystem = {
  lstat: (p) => fsp.lstat(p),
  readdir: (d) => fsp.readdir(d),
  rename: (a, b) => fsp.rename(a, b),
  link: (a, b) => fsp.link(a, b),
  unlink: (p) => fsp.unlink(p),
  open: (p, flags, mode) => fsp.open(p, flags, mode),
  chown: (p, uid, gid) => fsp.lchown(p, uid, gid),
  async fsyncDir(dir) {
    const handle = await fsp.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  sizeSync(p) {
    try {
      return lstatSync(p, { throwIfNoEntry: false })?.size;
    } catch {
      return undefined;
    }
  },
  readdirSync(dir, limit) {
    try {
      const handle = opendirSync(dir);
      try {
        const names: string[] = [];
        for (let entry = handle.readSync(); entry !== null; entry = handle.readSync()) {
          if (names.length === limit) return undefined;
          names.push(entry.name);
        }
        return names;
      } finally {
        handle.closeSync();
      }
    } catch {
      return undefined;
    }
  },
};

/** The errno code of a Node system error, if any. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}
