import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { O_NOFOLLOW } from '../../ports/file-system.js';

/**
 * Uncompressed size of a single-member gzip file from its trailer (ISIZE: the last 4 bytes, little
 * endian, the size modulo 2^32), without decompressing anything. crilog writes one member per file and
 * rotates far below 4 GiB, so the value is exact for its own files; `undefined` when unreadable.
 */
export async function gzipUncompressedSize(file: string, size?: number): Promise<number | undefined> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const length = size ?? (await handle.stat()).size;
    // 18 bytes: the smallest gzip file (10-byte header, empty deflate block, 8-byte trailer).
    if (length < 18) return undefined;
    const buf = Buffer.alloc(4);
    const { bytesRead } = await handle.read(buf, 0, 4, length - 4);
    return bytesRead === 4 ? buf.readUInt32LE(0) : undefined;
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}
