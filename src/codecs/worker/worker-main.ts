/* eslint-disable @typescript-eslint/no-require-imports -- this function runs as a CommonJS worker script */
import type { WorkerReply, WorkerRequest } from './protocol.js';

/** What the pool hands every worker at start. */
export interface CompressWorkerData {
  /** Nice value the worker gives its own thread (Linux); 0 leaves it as is. */
  nice: number;
  /** Absolute path of the zstd binding, when installed: an eval'd worker cannot resolve packages itself. */
  zstdPath: string | null;
  /** Absolute path of crilog's libdeflate binding when it is built and loads; gzip then uses it. */
  libdeflatePath: string | null;
}

/**
 * Body of a compression worker thread. It is serialised with `Function.prototype.toString()` and run
 * with `new Worker(code, { eval: true })`, so that the same code runs from `src/` under the test runner
 * and from `dist/`: it must not touch anything outside its own body (imports are types only).
 *
 * The worker owns no files: the pool's stream reads and writes them through the file-system port, and
 * only the CPU-heavy step, compressing a chunk, happens here. gzip is produced the way pigz does it:
 * every chunk is deflated on its own with the previous 32 KiB as preset dictionary and ends with a sync
 * flush, so each call is synchronous on this (lower-priority) thread instead of on libuv's thread
 * pool, which also serves the stats and renames of the rotation path. The output is one ordinary gzip
 * member. With the libdeflate binding (about 1.6 times less CPU than zlib at the same level, and
 * smaller output) every chunk instead becomes a gzip member of its own, as libdeflate only compresses
 * whole buffers; gzip readers join members. Its levels are libdeflate's own: the pool has already
 * turned the configured gzip level into one (`gzip-levels.ts`). A last, empty member records the total
 * size (see `gzip-total-size.ts`), which a multi-member file's final ISIZE no longer does.
 */
export function compressWorkerMain(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const zlib = require('node:zlib') as typeof import('node:zlib');
  const os = require('node:os') as typeof import('node:os');
  const fs = require('node:fs') as typeof import('node:fs');
  const data = workerData as CompressWorkerData;
  const port = parentPort!;
  const WINDOW = 32 * 1024;

  let tid: number | null = null;
  try {
    // /proc/thread-self names this thread; setpriority() on a thread id changes that thread only.
    tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    if (data.nice !== 0) os.setPriority(tid, data.nice);
  } catch {
    // Not Linux, or not allowed: compress at the process's priority.
  }

  interface Session {
    /** Output of `chunk`; with `out`, an engine that can writes it there and returns a view of it. */
    write(chunk: Buffer, out?: ArrayBuffer): Uint8Array;
    end(): Buffer;
  }

  function gzipSession(level: number): Session {
    let crc = 0;
    let size = 0;
    let tail: Buffer | null = null;
    let headerSent = false;
    // 10-byte header: magic, deflate, no flags, no mtime, extra flags for levels 1 and 9, OS unix.
    const header = () => {
      headerSent = true;
      return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level === 9 ? 2 : level === 1 ? 4 : 0, 3]);
    };
    return {
      write(chunk) {
        const body = zlib.deflateRawSync(chunk, {
          level,
          finishFlush: zlib.constants.Z_SYNC_FLUSH,
          // One output buffer as large as the input chunk: allocations that size are mmap'ed and given
          // back to the system when freed, where zlib's default 16 KiB pieces fragment the heap
          // (measured: peak RSS of 16 files compressed two at a time 156 -> 114 MB).
          chunkSize: 1024 * 1024,
          ...(tail ? { dictionary: tail } : {}),
        });
        crc = zlib.crc32(chunk, crc);
        size = (size + chunk.length) % 2 ** 32;
        const joined: Buffer = tail && chunk.length < WINDOW ? Buffer.concat([tail, chunk]) : chunk;
        tail = Buffer.from(joined.subarray(Math.max(0, joined.length - WINDOW)));
        return headerSent ? body : Buffer.concat([header(), body]);
      },
      end() {
        const last = zlib.deflateRawSync(Buffer.alloc(0), { level });
        const trailer = Buffer.alloc(8);
        trailer.writeUInt32LE(crc >>> 0, 0);
        trailer.writeUInt32LE(size, 4);
        return Buffer.concat([headerSent ? Buffer.alloc(0) : header(), last, trailer]);
      },
    };
  }

  interface Libdeflate {
    createCompressor(level: number): object;
    gzipBound(compressor: object, length: number): number;
    gzipCompress(compressor: object, input: Uint8Array, output: Uint8Array): number;
  }
  let libdeflate: Libdeflate | undefined;
  const compressors = new Map<number, object>();
  // One output buffer per worker, reused by every chunk: a worker compresses one chunk at a time.
  let scratch = new Uint8Array(0);

  function libdeflateSession(level: number): Session {
    libdeflate ??= require(data.libdeflatePath!) as Libdeflate;
    const lib = libdeflate;
    let compressor = compressors.get(level);
    if (!compressor) compressors.set(level, (compressor = lib.createCompressor(level)));
    let size = 0;
    return {
      write(chunk, out) {
        const bound = lib.gzipBound(compressor, chunk.length);
        size += chunk.length;
        if (out && out.byteLength >= bound) {
          // Straight into the caller's buffer, which travels back: no copy, no garbage.
          const view = new Uint8Array(out);
          const n = lib.gzipCompress(compressor, chunk, view);
          if (n === 0) throw new Error(`libdeflate could not compress a chunk of ${chunk.length} bytes`);
          return view.subarray(0, n);
        }
        if (scratch.length < bound) scratch = new Uint8Array(bound);
        const n = lib.gzipCompress(compressor, chunk, scratch);
        if (n === 0) throw new Error(`libdeflate could not compress a chunk of ${chunk.length} bytes`);
        // Copied out: the scratch buffer stays here for the next chunk.
        return scratch.slice(0, n);
      },
      end() {
        // An empty member carrying the total: header with FEXTRA (subfield "CL", 8 bytes of little-endian
        // total size), an empty final stored block, CRC-32 0 and ISIZE 0. Of an empty input it is the
        // only member, so every file is valid gzip.
        const m = Buffer.alloc(37);
        m.set([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 3, 12, 0, 0x43, 0x4c, 8, 0]);
        m.writeBigUInt64LE(BigInt(size), 16);
        m.set([1, 0, 0, 0xff, 0xff], 24);
        return m;
      },
    };
  }

  function zstdSession(level: number): Session {
    if (!data.zstdPath) throw new Error('zstd binding is not installed');
    type Step = (done: (err?: Error | null) => void) => void;
    const { CompressStream } = require(data.zstdPath) as {
      CompressStream: new (p: { compressionLevel: number }) => {
        push(b: Buffer): boolean;
        _transform(chunk: Buffer, enc: string, done: (err?: Error | null) => void): void;
        _flush: Step;
      };
    };
    const stream = new CompressStream({ compressionLevel: level });
    const out: Buffer[] = [];
    // The binding compresses synchronously in _transform/_flush; capture what it pushes right there
    // instead of going through the stream's asynchronous buffering.
    stream.push = (b: Buffer) => (out.push(Buffer.from(b)), true);
    const run = (step: Step) => {
      let failure: Error | null | undefined;
      step((err) => (failure = err));
      if (failure) throw failure;
      return Buffer.concat(out.splice(0));
    };
    return {
      write: (chunk) => run((done) => stream._transform(chunk, 'buffer', done)),
      end: () => run((done) => stream._flush(done)),
    };
  }

  const sessions = new Map<number, Session>();
  const reply = (m: WorkerReply) => {
    const transfer = m.data ? [m.data.buffer as ArrayBuffer] : [];
    if (m.op === 'chunk') {
      transfer.push(m.input);
      if (m.out && m.out !== m.data.buffer) transfer.push(m.out);
    }
    port.postMessage(m, transfer);
  };
  /** `out` itself when it is a whole buffer of its own (transferable); a copy otherwise (pooled Buffers). */
  const own = (out: Uint8Array): Uint8Array =>
    out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : new Uint8Array(out);
  port.postMessage({ op: 'ready', tid } satisfies WorkerReply);
  port.on('message', (request: WorkerRequest) => {
    try {
      if (request.op === 'open') {
        sessions.set(
          request.sid,
          request.codec === 'zstd'
            ? zstdSession(request.level)
            : data.libdeflatePath
              ? libdeflateSession(request.level)
              : gzipSession(request.level),
        );
      } else if (request.op === 'abort') {
        sessions.delete(request.sid);
      } else {
        const session = sessions.get(request.sid);
        if (!session) return;
        if (request.op === 'chunk') {
          const out = session.write(
            Buffer.from(request.data.buffer, request.data.byteOffset, request.data.byteLength),
            request.out,
          );
          // The input (and output) buffers go back to be used again: no garbage per chunk on either side.
          // Other outputs are copied when they are views into pooled buffers, which cannot be transferred.
          const data = request.out && out.buffer === request.out ? out : own(out);
          reply({
            op: 'chunk',
            sid: request.sid,
            data,
            input: request.data.buffer as ArrayBuffer,
            ...(request.out ? { out: request.out } : {}),
          });
        } else {
          sessions.delete(request.sid);
          reply({ op: 'end', sid: request.sid, data: new Uint8Array(session.end()) });
        }
      }
    } catch (err) {
      sessions.delete(request.sid);
      reply({ op: 'error', sid: request.sid, message: (err as Error).message ?? String(err) });
    }
  });
}
