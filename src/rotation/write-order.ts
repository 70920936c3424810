import { constants } from 'node:fs';
import zlib from 'node:zlib';
import { O_NOFOLLOW, type FileSystem } from '../ports/file-system.js';
import { compareKeys, type CodecName, type RotationKey } from './naming.js';

/** What ordering needs to know about one rotated file. */
export interface OrderableFile extends RotationKey {
  path: string;
  codec: CodecName | null;
  size: number;
  mtimeMs: number;
  ino: number;
}

/** Bytes read from the start of a raw file: a CRI timestamp with nanoseconds and an offset is 35. */
const HEAD_BYTES = 64;
/** Compressed bytes read to decode the first record of a `.gz` file. */
const GZIP_HEAD_BYTES = 4096;
/** Entries kept in the first-record cache; enough for every rotation of thousands of containers. */
const CACHE_LIMIT = 50_000;

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The first record's timestamp of each rotated file, by path. A rotated file's first record never
 * changes, so each is read once; the inode tells a file from a later one under the same name.
 */
const firstRecords = new Map<string, { ino: number; ms: number | null }>();

/** Milliseconds since the epoch of the CRI timestamp that starts `head`, or null. */
export function leadingTimestampMs(head: Buffer): number | null {
  const space = head.indexOf(0x20);
  if (space < 20 || space > 40) return null;
  let text = head.toString('latin1', 0, space);
  if (!RFC3339.test(text)) return null;
  // Date.parse takes at most milliseconds reliably; runtimes write up to nanoseconds.
  text = text.replace(/(\.\d{3})\d+/, '$1');
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}

async function readHead(fs: FileSystem, file: string, bytes: number): Promise<Buffer> {
  const handle = await fs.open(file, constants.O_RDONLY | O_NOFOLLOW);
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * When the first record of `file` was written, from its CRI timestamp (which carries its zone, so it
 * is a true instant whatever the node's time zone). Null when the file is empty, not in CRI format,
 * compressed with a codec that cannot be decoded here, or unreadable: ordering then falls back.
 */
export async function firstRecordMs(file: OrderableFile, fs: FileSystem): Promise<number | null> {
  if (file.size === 0) return null;
  const cached = firstRecords.get(file.path);
  if (cached && cached.ino === file.ino) return cached.ms;
  let ms: number | null = null;
  let settled = false;
  try {
    if (file.codec === null) {
      const head = await readHead(fs, file.path, HEAD_BYTES);
      ms = leadingTimestampMs(head);
      // A head shorter than a timestamp may still be growing (the newest rotation before its reopen).
      settled = ms !== null || head.length >= HEAD_BYTES;
    } else if (file.codec === 'gzip') {
      const head = await readHead(fs, file.path, GZIP_HEAD_BYTES);
      // A truncated stream is expected here: only the first few bytes of content are needed.
      const plain = zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      ms = leadingTimestampMs(plain.subarray(0, HEAD_BYTES));
      settled = true;
    }
  } catch {
    // Damaged or vanished: not worth failing a listing for; the file is ordered by its metadata.
    return null;
  }
  if (settled) {
    if (firstRecords.size >= CACHE_LIMIT) {
      // Oldest entries first (insertion order): those belong to rotations long trimmed.
      let drop = CACHE_LIMIT / 4;
      for (const key of firstRecords.keys()) {
        firstRecords.delete(key);
        if (--drop === 0) break;
      }
    }
    firstRecords.set(file.path, { ino: file.ino, ms });
  }
  return ms;
}

/**
 * Sorts rotated files by when they were really written, oldest first.
 *
 * crilog names its rotations in UTC, always after every existing name, so its own names sort in true
 * order. The kubelet named rotations in the node's local time: across a daylight-saving change its
 * names repeat or skip an hour, and after a hand-back its names may sort before crilog's. So each file
 * is placed by a real instant: its first record's CRI timestamp, or, when that cannot be read, its
 * modification time (the last write into it). Both lie within the span of the file's records, and the
 * spans of successive rotations do not overlap, so either orders files correctly. A `-N` name is one
 * crilog made after the lower numbers of the same second, so it is never placed before them, even when
 * the clock stepped back. When no file has a readable timestamp (not CRI logs), names decide.
 */
export async function sortByWriteTime<T extends OrderableFile>(files: T[], fs: FileSystem): Promise<T[]> {
  files.sort(compareKeys);
  if (files.length < 2) return files;
  // One at a time: almost every answer is cached, and a listing should not open many files at once.
  const first: (number | null)[] = [];
  for (const f of files) first.push(await firstRecordMs(f, fs));
  if (first.every((ms) => ms === null)) return files;
  const keys = files.map((f, i) => first[i] ?? f.mtimeMs);
  for (let i = 1; i < files.length; i++) {
    const prev = files[i - 1]!;
    if (files[i]!.seq > 0 && prev.stamp === files[i]!.stamp) keys[i] = Math.max(keys[i]!, keys[i - 1]!);
  }
  const order = files.map((_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
  const sorted = order.map((i) => files[i]!);
  files.splice(0, files.length, ...sorted);
  return files;
}
