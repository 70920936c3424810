/** Bytes of the empty member with which libdeflate-compressed files end (see worker-main.ts). */
export const TOTAL_MEMBER_BYTES = 37;

/** What `gzipRecordedSize` reads from: a positional read, as a file handle has. */
export interface TailReadable {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

/**
 * The uncompressed size a gzip file records, without decompressing it. A file crilog compressed with
 * libdeflate is a run of gzip members ending with an empty one whose header carries the total (extra
 * subfield `CL`, 8 bytes little endian); any other file is taken as one member and its trailer's ISIZE
 * (the size modulo 2^32) is returned. `undefined` when the file is too short to be gzip. The result is
 * a hint for status and for matching a rotation to its raw original, never a reason to skip data.
 */
export async function gzipRecordedSize(src: TailReadable, fileSize: number): Promise<number | undefined> {
  // 18 bytes: the smallest gzip file (10-byte header, empty deflate block, 8-byte trailer).
  if (fileSize < 18) return undefined;
  const length = Math.min(fileSize, TOTAL_MEMBER_BYTES);
  const tail = Buffer.alloc(length);
  const { bytesRead } = await src.read(tail, 0, length, fileSize - length);
  if (bytesRead !== length) return undefined;
  if (length === TOTAL_MEMBER_BYTES && isTotalMember(tail)) return Number(tail.readBigUInt64LE(16));
  return tail.readUInt32LE(length - 4);
}

/** The libdeflate path's closing member: magic, deflate, FEXTRA only, XLEN 12, subfield CL of 8 bytes, empty data. */
function isTotalMember(m: Buffer): boolean {
  return (
    m[0] === 0x1f &&
    m[1] === 0x8b &&
    m[2] === 8 &&
    m[3] === 4 &&
    m.readUInt16LE(10) === 12 &&
    m[12] === 0x43 &&
    m[13] === 0x4c &&
    m.readUInt16LE(14) === 8 &&
    m.readUInt32LE(29) === 0 &&
    m.readUInt32LE(33) === 0
  );
}
