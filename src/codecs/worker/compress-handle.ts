import type { CodecName } from '../codec-names.js';
import type { ChunkResult } from './compression-session.js';
import type { CompressionPool } from './compression-pool.js';

/** Bytes read per chunk: large enough that a message per chunk costs nothing, small enough to pipeline. */
const CHUNK = 1024 * 1024;
/** Buffers in turn: one being compressed while the next is read. */
const BUFFERS = 2;
/** Output buffers lent to the worker: room for a chunk that does not compress at all (deflate's bound). */
const OUT = CHUNK + 64 * 1024;

/** What `compressHandle` reads from: a file handle's positional read. */
export interface ReadableHandle {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

/**
 * Compresses everything in `src` on a pool worker, handing each piece of output to `write` in order.
 * Reading stays on this thread (through the caller's file handle) and overlaps the compression of the
 * previous chunk; the two read buffers, and two output buffers the worker compresses into, travel to
 * the worker and back instead of being reallocated. An output handed to `write` is valid only until
 * the promise `write` returned resolves. Returns the number of bytes read.
 */
export async function compressHandle(
  src: ReadableHandle,
  pool: CompressionPool,
  compression: { codec: CodecName; level: number },
  write: (output: Buffer) => Promise<void>,
  signal?: AbortSignal,
): Promise<number> {
  const session = pool.open(compression.codec, compression.level);
  const free: ArrayBuffer[] = Array.from({ length: BUFFERS }, () => new ArrayBuffer(CHUNK));
  const freeOut: ArrayBuffer[] = Array.from({ length: BUFFERS }, () => new ArrayBuffer(OUT));
  const pending: Promise<ChunkResult>[] = [];
  let position = 0;
  let eof = false;
  try {
    for (;;) {
      signal?.throwIfAborted();
      while (!eof && free.length > 0) {
        const buffer = free.pop()!;
        const { bytesRead } = await src.read(new Uint8Array(buffer), 0, CHUNK, position);
        signal?.throwIfAborted();
        if (bytesRead === 0) {
          eof = true;
          free.push(buffer);
          break;
        }
        position += bytesRead;
        const result = session.write(buffer, bytesRead, freeOut.pop());
        // Awaited in order below; this only keeps a failure of a later chunk from going unhandled.
        result.catch(() => {});
        pending.push(result);
      }
      const next = pending.shift();
      if (!next) break;
      const { output, buffer, out } = await next;
      free.push(buffer);
      if (output.length > 0) await write(output);
      // Only now: `output` may be a view into it.
      if (out) freeOut.push(out);
    }
    signal?.throwIfAborted();
    await write(await session.end());
    return position;
  } finally {
    session.abort();
  }
}
