import type { WorkerReply, WorkerRequest } from './protocol.js';

/** The pool's side of one worker, as a session sees it. */
export interface SessionPort {
  send(message: WorkerRequest, transfer?: ArrayBuffer[]): void;
  /** The session is over: an idle worker stops holding the process open. */
  release(sid: number): void;
}

interface Waiter {
  resolve(reply: SessionReply): void;
  reject(error: Error): void;
}

/** The replies addressed to a session (the pool handles the worker's `ready`). */
type SessionReply = Exclude<WorkerReply, { op: 'ready' }>;

/**
 * What a compressed chunk gives back: the output, the input buffer to read into again, and the output
 * buffer that was lent (to lend again once `output`, which may be a view into it, has been written).
 */
export interface ChunkResult {
  output: Buffer;
  buffer: ArrayBuffer;
  out?: ArrayBuffer;
}

/**
 * One compression on a pool worker. Chunks go to the worker in order and their outputs come back in
 * order. An input buffer is moved to the worker (not copied) and handed back with its output, and so
 * is an output buffer the worker compresses into, so a caller that cycles a couple of each makes no
 * garbage per chunk on either thread;
 * otherwise every transferred buffer would wait for a garbage collection that external memory alone
 * rarely triggers, and a busy compression would hold tens of megabytes.
 */
export class CompressionSession {
  readonly #port: SessionPort;
  readonly #sid: number;
  readonly #waiting: Waiter[] = [];
  #closed = false;

  constructor(port: SessionPort, sid: number) {
    this.#port = port;
    this.#sid = sid;
  }

  /**
   * Compresses `length` bytes at the start of `buffer`, into `out` when the engine can (libdeflate);
   * both buffers are detached until they come back.
   */
  write(buffer: ArrayBuffer, length: number, out?: ArrayBuffer): Promise<ChunkResult> {
    const data = new Uint8Array(buffer, 0, length);
    const request = out
      ? this.#request({ op: 'chunk', sid: this.#sid, data, out }, [buffer, out])
      : this.#request({ op: 'chunk', sid: this.#sid, data }, [buffer]);
    return request.then((reply) => {
      if (reply.op !== 'chunk') throw new Error(`compression worker answered "${reply.op}" to a chunk`);
      return { output: toBuffer(reply.data), buffer: reply.input, ...(reply.out ? { out: reply.out } : {}) };
    });
  }

  /** Finishes the stream: the last output (for gzip, the end of the deflate stream and the trailer). */
  async end(): Promise<Buffer> {
    const reply = await this.#request({ op: 'end', sid: this.#sid });
    this.#close();
    return toBuffer(reply.data!);
  }

  /** Drops the session (no-op once ended); pending chunks never settle. */
  abort(): void {
    if (this.#closed) return;
    this.#waiting.length = 0;
    this.#port.send({ op: 'abort', sid: this.#sid });
    this.#close();
  }

  /** A reply of the worker for this session. */
  receive(reply: SessionReply): void {
    if (reply.op === 'error') return this.fail(new Error(`compression failed in worker: ${reply.message}`));
    this.#waiting.shift()?.resolve(reply);
  }

  /** Fails every pending request (the worker reported an error or died). */
  fail(error: Error): void {
    for (const w of this.#waiting.splice(0)) w.reject(error);
    this.#close();
  }

  #request(message: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<SessionReply> {
    if (this.#closed) return Promise.reject(new Error('compression session is closed'));
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#port.send(message, transfer);
    });
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#port.release(this.#sid);
  }
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
