import path from 'node:path';
import type { FileSystem } from '../ports/file-system.js';

/**
 * How close to now a directory's change makes its stamp untrustworthy. Filesystem timestamps come from a
 * coarse clock (a tick of a few milliseconds; a second on some filesystems), so a second change within
 * the tick of the first leaves the stamp as it was; the margin covers both with room to spare.
 */
export const RACY_MS = 2000;

/**
 * What a quiet container's spread full check compares from one cycle to the next: the live log's size
 * and inode, and its directory's inode, mtime and ctime, read synchronously. Adding, removing or renaming
 * a name in a directory sets its mtime and ctime, so a directory whose names changed has another stamp
 * however many names it holds, with no listing (a flooded directory costs the same two system calls).
 *
 * Undefined, so that the container is checked, when the port cannot read synchronously, a read fails,
 * or the directory changed within `RACY_MS` of `now` (ms, the manager's clock): a change in the same
 * timestamp tick as the one seen would leave the stamp as it was, as with git's "racily clean" files.
 */
export function quietStamp(fs: FileSystem, logPath: string, now: number): string | undefined {
  if (!fs.lstatSync) return undefined;
  const log = fs.lstatSync(logPath);
  const dir = log && fs.lstatSync(path.dirname(logPath));
  if (!log || !dir?.isDirectory()) return undefined;
  if (Math.abs(now - dir.mtimeMs) < RACY_MS || Math.abs(now - dir.ctimeMs) < RACY_MS) return undefined;
  return `${log.size}:${log.ino}:${dir.ino}:${dir.mtimeMs}:${dir.ctimeMs}`;
}
