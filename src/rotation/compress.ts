import path from 'node:path';
import { constants } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { CrilogError } from '../errors/crilog-error.js';
import { errnoCode, nodeFileSystem, O_NOFOLLOW, O_NONBLOCK, type FileSystem } from '../ports/file-system.js';
import { moveNoReplace } from './move-no-replace.js';
import { crashPoint } from './crash-point.js';
import { getCodec } from '../codecs/codec.js';
import type { CompressionPool } from '../codecs/worker/compression-pool.js';
import { compressHandle } from '../codecs/worker/compress-handle.js';
import { compressedPath, TMP_SUFFIX, type CodecName } from './naming.js';

/** Outcome of one successful compression. */
export interface CompressResult {
  source: string;
  target: string;
  bytesIn: number;
  bytesOut: number;
}

/** Options of `compressFile`. */
export interface CompressOptions {
  fs?: FileSystem;
  /** Codec, gzip by default. */
  codec?: CodecName;
  /** Codec level; the codec's default when unset. */
  level?: number;
  /** Worker threads to compress on; without one, compression runs on libuv's thread pool (zlib) or inline (zstd). */
  pool?: CompressionPool;
  /**
   * Called synchronously just before the `.tmp` is renamed to its final name: from then on an abort can
   * no longer stop the compressed file from appearing, so a canceller must wait for the outcome.
   */
  onCommit?: () => void;
  /** Aborting removes the `.tmp` and leaves the raw file untouched. */
  signal?: AbortSignal;
}

/**
 * Compresses a raw rotated file to `<raw>.gz` (or `.zst`) so that at every instant the data exists complete under one
 * name: it is written to `<raw>.tmp`, fsynced, renamed, the directory fsynced, and only then is the raw
 * file removed. The result keeps the raw file's owner, mtime and (at most) its mode. Any failure removes
 * the `.tmp`, keeps the raw file and throws `ERR_COMPRESSION`; the next pass retries.
 */
export async function compressFile(raw: string, options: CompressOptions = {}): Promise<CompressResult> {
  const fs = options.fs ?? nodeFileSystem;
  const tmp = raw + TMP_SUFFIX;
  const codec = getCodec(options.codec ?? 'gzip');
  const target = compressedPath(raw, codec.name);
  let bytesIn = 0;
  let bytesOut = 0;
  let tmpCreated = false;
  try {
    // O_NONBLOCK: a FIFO or device swapped in under a rotated name must not hold this slot forever
    // (opening a FIFO for reading waits for a writer); fstat then refuses anything but a regular file.
    const src = await fs.open(raw, constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    try {
      const st = await src.stat();
      if (!st.isFile()) throw new Error(`"${raw}" is not a regular file`);
      // O_EXCL: a planted file or link at the .tmp name makes this fail instead of being written through.
      const dst = await fs.open(
        tmp,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW,
        st.mode & 0o777,
      );
      tmpCreated = true;
      try {
        // On the handle, never by name: the name could be replaced between the open and the chown.
        await keepOwner(dst, st.uid, st.gid);
        const level = options.level ?? codec.defaultLevel;
        const sink = async (chunk: Buffer) => {
          await writeAll(dst, chunk);
          bytesOut += chunk.length;
        };
        if (options.pool) {
          await compressHandle(src, options.pool, { codec: codec.name, level }, sink, options.signal);
        } else {
          let sinkError: unknown;
          await pipeline(
            // 1 MiB reads and 256 KiB deflate chunks: fewer thread-pool round trips (measured: W1 pass 0.575x -> 0.472x of logrotate).
            src.createReadStream({ autoClose: false, start: 0, highWaterMark: 1024 * 1024 }),
            codec.createCompressor(level),
            async (chunks: AsyncIterable<Buffer>) => {
              try {
                for await (const chunk of chunks) await sink(chunk);
              } catch (err) {
                sinkError = err;
                throw err;
              }
            },
            { signal: options.signal },
          ).catch((err: unknown) => {
            // pipeline() reports the teardown's AbortError; the write error (ENOSPC, EIO) is the real cause.
            throw sinkError ?? err;
          });
        }
        bytesIn = st.size;
        await dst.utimes(st.atime, st.mtime);
        await dst.sync();
      } finally {
        await dst.close();
      }
    } finally {
      await src.close();
    }
    crashPoint('after-compress-write');
    options.signal?.throwIfAborted();
    options.onCommit?.();
    await moveNoReplace(fs, tmp, target);
    tmpCreated = false;
    await fs.fsyncDir(path.dirname(raw));
    crashPoint('after-compress-rename');
  } catch (cause) {
    if (tmpCreated) await fs.unlink(tmp).catch(() => {});
    throw new CrilogError('ERR_COMPRESSION', `failed to compress "${raw}": ${describe(cause)}`, { cause });
  }
  try {
    await fs.unlink(raw);
  } catch (err) {
    // The .gz is complete and durable; a raw file that lingers is a leftover the next pass removes.
    if (errnoCode(err) !== 'ENOENT')
      throw new CrilogError('ERR_COMPRESSION', `compressed "${raw}" but could not remove it`, { cause: err });
  }
  return { source: raw, target, bytesIn, bytesOut };
}

async function writeAll(
  handle: { write(b: Buffer, o: number, l: number): Promise<{ bytesWritten: number }> },
  buf: Buffer,
) {
  for (let off = 0; off < buf.length;) {
    const { bytesWritten } = await handle.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

async function keepOwner(
  handle: { chown(uid: number, gid: number): Promise<void> },
  uid: number,
  gid: number,
): Promise<void> {
  try {
    await handle.chown(uid, gid);
  } catch (err) {
    // Without CAP_CHOWN the file stays ours; its mode still never exceeds the source's.
    if (errnoCode(err) !== 'EPERM') throw err;
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return errnoCode(err) ? `${errnoCode(err)}: ${err.message}` : err.message;
  return String(err);
}
