import { errnoCode, type FileSystem } from '../ports/file-system.js';

/** `link()` failures that mean "this filesystem has no hard links", not "something is in the way". */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/**
 * Moves `from` to `to` without ever replacing a file at `to`, whatever put it there (a stranger, a
 * clock that went backwards, a sequence number the parser did not know): `rename()` would silently
 * drop that file. The new name is made with `link()`, which fails with `EEXIST`, then the old one is
 * removed. Between the two steps both names are one inode, a state recovery already undoes (see
 * docs/recovery.md, `after-link-back`). On filesystems without hard links it falls back to
 * `lstat()` + `rename()`, which only a racing stranger can defeat, and only for a name it just made.
 *
 * Throws the `link`/`rename` error (`EEXIST` when `to` exists, `ENOENT` when `from` is gone).
 */
export async function moveNoReplace(fs: FileSystem, from: string, to: string): Promise<void> {
  try {
    await fs.link(from, to);
  } catch (err) {
    if (!NO_LINKS.has(errnoCode(err) ?? '')) throw err;
    await assertFree(fs, to);
    await fs.rename(from, to);
    return;
  }
  try {
    await fs.unlink(from);
  } catch (err) {
    // Someone removed the old name meanwhile: the data is under the new one, which is what was asked.
    if (errnoCode(err) === 'ENOENT') return;
    await fs.unlink(to).catch(() => {});
    throw err;
  }
}

async function assertFree(fs: FileSystem, file: string): Promise<void> {
  try {
    await fs.lstat(file);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw err;
  }
  throw Object.assign(new Error(`EEXIST: file already exists, "${file}"`), { code: 'EEXIST' });
}
