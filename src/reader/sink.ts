import { WriteStream } from 'node:fs';
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import type { LogOutput } from './types.js';

/** Where assembled lines go, piece by piece, so the common case copies each byte once. */
export interface LineSink {
  /** Starts a line; `ts` is the timestamp to prefix (when timestamps are on), or null. */
  begin(ts: Buffer | null, tsStart: number, tsEnd: number): void;
  part(buf: Buffer, start: number, end: number): void;
  /** Ends the line; `unparsed` marks a non-CRI line passed through. */
  end(unparsed: boolean): void;
  /** True once nothing more will be accepted (`limitBytes` reached). */
  readonly full: boolean;
}

const BLOCK = 256 * 1024;
/** Output bytes that may wait in the stream before the reader stops to let it drain. */
const MAX_PENDING = 4 * BLOCK;
/** Written blocks kept for reuse: a fresh 256 KiB block is a fresh mapping to fault in, every time. */
const MAX_FREE = 8;
/** Below this many bytes a copy loop is faster than `Buffer#copy` (measured on V8 11). */
const SMALL_COPY = 64;
const NEWLINE = Buffer.from('\n');
const SPACE = Buffer.from(' ');

/**
 * Writes lines to the caller's output. Bytes are gathered into blocks and handed over by `flush`, which
 * the reader awaits after each input chunk: that bounds memory and honours the stream's backpressure.
 */
export class OutputSink implements LineSink {
  lines = 0;
  bytes = 0;
  unparsed = 0;
  limitReached = false;
  #remaining: number;
  #timestamps: boolean;
  #prefix: Buffer;
  #stream: Writable | null;
  #callback: ((line: string) => void) | null;
  #block: Buffer = Buffer.allocUnsafe(BLOCK);
  #pos = 0;
  #ready: { block: Buffer; length: number }[] = [];
  /** Blocks the output is done with; only for outputs known to copy before calling back. */
  #free: Buffer[] | null = null;
  #lineStart = 0;
  #lineBytes = 0;
  #error: Error | null = null;

  constructor(output: LogOutput, limitBytes: number, timestamps: boolean, prefix: Buffer = Buffer.alloc(0)) {
    this.#remaining = limitBytes;
    this.#timestamps = timestamps;
    this.#prefix = prefix;
    if (typeof output === 'function') {
      this.#stream = null;
      this.#callback = output;
    } else {
      this.#stream = output;
      this.#callback = null;
      // A socket or pipe (process.stdout) and a file stream have handed the bytes to the kernel when
      // their write calls back; any other Writable may still hold the chunk, so it gets fresh blocks.
      if (output instanceof Socket || output instanceof WriteStream) this.#free = [];
      (output as Writable).on('error', (err: Error) => {
        this.#error ??= err;
      });
    }
  }

  get full(): boolean {
    return this.#remaining <= 0;
  }

  begin(ts: Buffer | null, tsStart: number, tsEnd: number): void {
    this.#lineStart = this.#pos;
    this.#lineBytes = 0;
    if (this.#prefix.length > 0) this.#write(this.#prefix, 0, this.#prefix.length);
    if (ts !== null && this.#timestamps) {
      this.#write(ts, tsStart, tsEnd);
      this.#write(SPACE, 0, 1);
    }
  }

  part(buf: Buffer, start: number, end: number): void {
    this.#write(buf, start, end);
  }

  end(unparsed: boolean): void {
    const wasFull = this.full;
    if (!wasFull) this.#write(NEWLINE, 0, 1);
    if (this.#lineBytes === 0) return;
    this.lines++;
    if (unparsed) this.unparsed++;
    if (this.#callback) {
      // A cut line has no newline to strip.
      const end = this.#pos - (wasFull ? 0 : 1);
      this.#callback(this.#block.toString('utf8', this.#lineStart, end));
      this.#pos = 0;
    }
    this.#lineBytes = 0;
  }

  /** Hands the gathered bytes to the output; resolves when it can take more. */
  async flush(): Promise<void> {
    if (this.#error) throw new Error('failed to write the output', { cause: this.#error });
    const stream = this.#stream;
    if (!stream) return;
    if (this.#pos > 0) {
      this.#ready.push({ block: this.#block, length: this.#pos });
      this.#block = this.#newBlock();
      this.#pos = 0;
    }
    for (const { block, length } of this.#ready.splice(0)) {
      // A block is bigger than a pipe's or socket's high-water mark, so `write` says "wait" every time;
      // waiting for a full drain would serialize parsing with the consumer (`crilog logs | cat` ran at
      // half of `zcat | cat`). Up to MAX_PENDING bytes stay queued instead, which still bounds memory.
      const free = this.#free;
      if (free) stream.write(block.subarray(0, length), () => free.length < MAX_FREE && free.push(block));
      else stream.write(block.subarray(0, length));
      if (stream.writableLength > MAX_PENDING) await drained(stream);
      if (this.#error) throw new Error('failed to write the output', { cause: this.#error });
    }
  }

  #write(buf: Buffer, start: number, end: number): void {
    let n = Math.min(end - start, this.#remaining);
    if (n <= 0) return;
    this.#remaining -= n;
    this.bytes += n;
    this.#lineBytes += n;
    if (this.full) this.limitReached = true;
    if (n <= SMALL_COPY && this.#pos + n <= this.#block.length) {
      // Most log lines are short: a plain loop beats the per-call cost of Buffer#copy there.
      const block = this.#block;
      let pos = this.#pos;
      for (let i = start, e = start + n; i < e; i++) block[pos++] = buf[i]!;
      this.#pos = pos;
      return;
    }
    while (n > 0) {
      if (this.#pos === this.#block.length) this.#grow();
      const k = Math.min(n, this.#block.length - this.#pos);
      buf.copy(this.#block, this.#pos, start, start + k);
      this.#pos += k;
      start += k;
      n -= k;
    }
  }

  #grow(): void {
    if (this.#callback) {
      // A callback line must stay contiguous: move it into a bigger block.
      const bigger = Buffer.allocUnsafe(this.#block.length * 2);
      this.#block.copy(bigger, 0, 0, this.#pos);
      this.#block = bigger;
      return;
    }
    this.#ready.push({ block: this.#block, length: this.#block.length });
    this.#block = this.#newBlock();
    this.#pos = 0;
  }

  #newBlock(): Buffer {
    return this.#free?.pop() ?? Buffer.allocUnsafe(BLOCK);
  }
}

function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('error', done);
    stream.on('close', done);
  });
}
