import { constants, lstatSync, promises as fsp, type Stats } from 'node:fs';

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
   * Optional: `lstat`, synchronously; undefined when `path` cannot be read. The idle passes use it to
   * look at many live logs and directories that are expected unchanged: on a local disk the system call
   * takes microseconds, where an asynchronous `lstat` costs a trip through libuv's thread pool and a
   * promise. Without it they use `lstat`.
   */
  lstatSync?(path: string): Stats | undefined;
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
  lstatSync(p) {
    try {
      return lstatSync(p, { throwIfNoEntry: false });
    } catch {
      return undefined;
    }
  },
};

/** The errno code of a Node system error, if any. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}
