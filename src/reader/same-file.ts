import { promises as fsp } from 'node:fs';
import { gzipRecordedSize } from '../codecs/gzip-total-size.js';
import { errnoCode } from '../ports/file-system.js';
import type { RotatedFile } from '../rotation/log-files.js';
import { CODEC_SUFFIX } from '../codecs/codec-names.js';
import { NotRegularFileError, openRegularFile, type OpenLogFile } from './live-file.js';

/**
 * Whether the rotated file `file` is the data of the open file `open` under its rotated name: same inode
 * while raw, or, once compressed, a gzip whose recorded size (`gzipRecordedSize`, compared mod 2^32) matches.
 * A zstd file cannot be checked cheaply and is assumed to match, as rotation is sequential.
 */
export async function isSameFile(file: RotatedFile, open: OpenLogFile): Promise<boolean> {
  if (file.codec === null) {
    try {
      const st = await fsp.lstat(file.path);
      return st.ino === open.ino && st.dev === open.dev;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw new Error(`failed to stat "${file.path}"`, { cause: err });
      // Compressed since it was listed.
      return isSameFile({ ...file, path: file.path + CODEC_SUFFIX.gzip, codec: 'gzip' }, open).catch(
        () => true,
      );
    }
  }
  if (file.codec !== 'gzip') return true;
  let handle: fsp.FileHandle;
  try {
    handle = await openRegularFile(file.path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return true; // removed by retention: nothing left to skip or read
    if (err instanceof NotRegularFileError) return false;
    throw new Error(`failed to open "${file.path}"`, { cause: err });
  }
  try {
    const recorded = await gzipRecordedSize(handle, (await handle.stat()).size);
    if (recorded === undefined) return false;
    return recorded % 2 ** 32 === (await open.size()) % 2 ** 32;
  } finally {
    await handle.close();
  }
}
