import { Transform, type TransformCallback } from 'node:stream';
import type { PoolWorker } from './compression-pool.js';
import type { WorkerReply } from './protocol.js';

/** Chunks handed to the worker and not yet answered: enough to keep it busy while the next is read. */
const IN_FLIGHT = 2;

/**
 * The main-thread side of one compression on a pool worker: a Transform whose input goes to the worker
 * chunk by chunk and whose output is what the worker sends back, in order. Destroying it (an aborted
 * pipeline) tells the worker to drop the session.
 */
export class WorkerCompressor extends Transform {
  readonly #worker: PoolWorker;
  readonly #sid: number;
  #inFlight = 0;
  #blocked: TransformCallback | undefined;
  #flushed: TransformCallback | undefined;
  #done = false;

  constructor(worker: PoolWorker, sid: number) {
    super();
    this.#worker = worker;
    this.#sid = sid;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // A copy of exactly this chunk is transferred; the source buffer may be shared with other reads.
    const data = new Uint8Array(chunk);
    this.#worker.send({ op: 'chunk', sid: this.#sid, data }, [data.buffer]);
    if (++this.#inFlight < IN_FLIGHT) callback();
    else this.#blocked = callback;
  }

  override _flush(callback: TransformCallback): void {
    this.#flushed = callback;
    this.#worker.send({ op: 'end', sid: this.#sid });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#done) {
      this.#done = true;
      this.#worker.send({ op: 'abort', sid: this.#sid });
      this.#worker.release(this.#sid);
    }
    callback(error);
  }

  /** A reply of the worker for this session. */
  receive(reply: WorkerReply): void {
    if (this.destroyed) return;
    if (reply.op === 'error') {
      this.destroy(new Error(`compression failed in worker: ${reply.message}`));
      return;
    }
    if (reply.op === 'ready') return;
    if (reply.data.byteLength > 0)
      this.push(Buffer.from(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength));
    if (reply.op === 'chunk') {
      this.#inFlight--;
      const blocked = this.#blocked;
      this.#blocked = undefined;
      blocked?.();
    } else {
      this.#done = true;
      this.#worker.release(this.#sid);
      this.#flushed?.();
    }
  }
}
