import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { gzipRecordedSize } from '../../codecs/gzip-total-size.js';
import { O_NOFOLLOW } from '../../ports/file-system.js';

/**
 * Uncompressed size of a gzip file as it records it (see `gzipRecordedSize`), without decompressing
 * anything: exact for crilog's own files; `undefined` when unreadable.
 */
export async function gzipUncompressedSize(file: string, size?: number): Promise<number | undefined> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    return await gzipRecordedSize(handle, size ?? (await handle.stat()).size);
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}
