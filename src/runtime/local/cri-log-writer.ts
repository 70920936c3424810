import { Writable } from 'node:stream';
import { silentLogger, type Logger } from '../../ports/logger.js';
import {
  CriRecordEncoder,
  DEFAULT_MAX_LINE_SIZE,
  validateMaxLineSize,
  type CriStream,
} from './cri-record-encoder.js';
import { openAppendLogFile, type LogFile, type LogFileOpener } from './log-file.js';
import { systemNanoClock, type NanoClock } from './nano-clock.js';

/** Options of a `CriLogWriter`; every field has a default. */
export interface CriLogWriterOptions {
  /** Longest line content written as one record; longer lines become `P` chunks. Default 16 KiB. */
  maxLineSize?: number;
  clock?: NanoClock;
  openFile?: LogFileOpener;
  logger?: Logger;
  /** Largest single write to the file. Default 1 MiB. */
  batchBytes?: number;
  /** Raw bytes a stream sink accepts before it asks its source to pause. Default 64 KiB. */
  sinkHighWaterMark?: number;
}

/** Counters of one writer, for status views and tests. */
export interface CriLogWriterStats {
  path: string;
  bytesWritten: number;
  reopens: number;
  writeErrors: number;
  /** Bytes lost to failed writes or written after `close()`. */
  droppedBytes: number;
  /** Formatted bytes waiting for the disk now, and the most there ever were. */
  queuedBytes: number;
  peakQueuedBytes: number;
}

type Entry =
  | { kind: 'data'; pieces: Buffer[]; bytes: number; done: () => void }
  | { kind: 'reopen' | 'close'; settle: (err?: Error) => void };

/**
 * Writes the stdout and stderr of one container into one CRI log file, in arrival order.
 *
 * Every write goes through a single queue, so `reopen()` cuts the stream at a record boundary:
 * records queued before it land in the old file, later ones in the new file, none twice.
 * A stream sink acknowledges a chunk only once its records reached the file, which is what makes a
 * piped source pause while the disk is slower than the process: memory stays bounded.
 */
export class CriLogWriter {
  readonly path: string;
  readonly #options: Required<Omit<CriLogWriterOptions, 'logger'>> & { logger: Logger };
  #file: LogFile | undefined;
  readonly #queue: Entry[] = [];
  #pumping = false;
  #closing: Promise<void> | undefined;
  readonly #stats: CriLogWriterStats;

  private constructor(path: string, file: LogFile, options: CriLogWriterOptions) {
    this.path = path;
    this.#file = file;
    this.#options = {
      maxLineSize: options.maxLineSize ?? DEFAULT_MAX_LINE_SIZE,
      clock: options.clock ?? systemNanoClock,
      openFile: options.openFile ?? openAppendLogFile,
      logger: options.logger ?? silentLogger,
      batchBytes: options.batchBytes ?? 1024 * 1024,
      sinkHighWaterMark: options.sinkHighWaterMark ?? 64 * 1024,
    };
    this.#stats = {
      path,
      bytesWritten: 0,
      reopens: 0,
      writeErrors: 0,
      droppedBytes: 0,
      queuedBytes: 0,
      peakQueuedBytes: 0,
    };
  }

  /** Opens (or creates, mode 0640) `path` for appending and returns a writer for it. */
  static async open(path: string, options: CriLogWriterOptions = {}): Promise<CriLogWriter> {
    if (options.maxLineSize !== undefined) validateMaxLineSize(options.maxLineSize);
    const open = options.openFile ?? openAppendLogFile;
    let file: LogFile;
    try {
      file = await open(path);
    } catch (cause) {
      throw new Error(`failed to open container log "${path}"`, { cause });
    }
    return new CriLogWriter(path, file, options);
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** A snapshot of the counters. */
  stats(): CriLogWriterStats {
    return { ...this.#stats };
  }

  /**
   * A writable for one stream: pipe a child's stdout or stderr into it. Ending it flushes an
   * unterminated last line as a `P` record; so does destroying it, so no byte that arrived is lost.
   */
  sink(stream: CriStream): Writable {
    const encoder = new CriRecordEncoder(stream, this.#options.maxLineSize, this.#options.clock);
    let ended = false;
    const flushRest = (cb: (err?: Error | null) => void) => {
      if (ended) return cb();
      ended = true;
      this.#enqueue(encoder.end(), () => cb());
    };
    return new Writable({
      highWaterMark: this.#options.sinkHighWaterMark,
      write: (chunk: Buffer, _encoding, cb) => this.#enqueue(encoder.push(chunk), () => cb()),
      writev: (chunks, cb) => {
        const out: Buffer[] = [];
        for (const { chunk } of chunks) encoder.push(chunk as Buffer, out);
        this.#enqueue(out, () => cb());
      },
      final: flushRest,
      destroy: (err, cb) => flushRest(() => cb(err)),
    });
  }

  /**
   * Switches to a fresh file at the same path (after a rotation renamed the old one away). Records
   * queued before the call go to the old file first. If the new file cannot be opened the writer keeps
   * the old one and the call rejects.
   */
  reopen(): Promise<void> {
    if (this.#closing)
      return Promise.reject(new Error(`cannot reopen "${this.path}": the log writer is closed`));
    return new Promise((resolve, reject) => {
      this.#queue.push({ kind: 'reopen', settle: (err) => (err ? reject(err) : resolve()) });
      void this.#pump();
    });
  }

  /** Writes everything queued, then closes the file. Later records are dropped (and counted). */
  close(): Promise<void> {
    this.#closing ??= new Promise((resolve, reject) => {
      this.#queue.push({ kind: 'close', settle: (err) => (err ? reject(err) : resolve()) });
      void this.#pump();
    });
    return this.#closing;
  }

  #enqueue(pieces: Buffer[], done: () => void): void {
    if (pieces.length === 0) return done();
    let bytes = 0;
    for (const piece of pieces) bytes += piece.length;
    if (this.#closing) {
      this.#stats.droppedBytes += bytes;
      return done();
    }
    this.#queue.push({ kind: 'data', pieces, bytes, done });
    this.#stats.queuedBytes += bytes;
    this.#stats.peakQueuedBytes = Math.max(this.#stats.peakQueuedBytes, this.#stats.queuedBytes);
    void this.#pump();
  }

  /** The only code that touches the file; runs one entry (or one batch of data) at a time. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (let head = this.#queue[0]; head; head = this.#queue[0]) {
        if (head.kind === 'data') {
          await this.#writeBatch();
          continue;
        }
        this.#queue.shift();
        try {
          await (head.kind === 'reopen' ? this.#reopenNow() : this.#closeNow());
          head.settle();
        } catch (err) {
          head.settle(err as Error);
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #writeBatch(): Promise<void> {
    const pieces: Buffer[] = [];
    const done: (() => void)[] = [];
    let bytes = 0;
    for (let e = this.#queue[0]; e?.kind === 'data'; e = this.#queue[0]) {
      if (bytes > 0 && bytes + e.bytes > this.#options.batchBytes) break;
      this.#queue.shift();
      for (const piece of e.pieces) pieces.push(piece);
      done.push(e.done);
      bytes += e.bytes;
    }
    await this.#writeFully(Buffer.concat(pieces, bytes));
    this.#stats.queuedBytes -= bytes;
    for (const d of done) d();
  }

  async #writeFully(buffer: Buffer): Promise<void> {
    let offset = 0;
    try {
      while (offset < buffer.length) {
        if (!this.#file) throw new Error('the log file is closed');
        const { bytesWritten } = await this.#file.write(buffer.subarray(offset));
        offset += bytesWritten;
      }
    } catch (err) {
      // Like containerd: keep draining the process rather than blocking it on a broken disk.
      this.#stats.writeErrors++;
      this.#stats.droppedBytes += buffer.length - offset;
      this.#options.logger.error(
        { err, path: this.path, droppedBytes: buffer.length - offset },
        'failed to write container log',
      );
    } finally {
      this.#stats.bytesWritten += offset;
    }
  }

  async #reopenNow(): Promise<void> {
    let next: LogFile;
    try {
      next = await this.#options.openFile(this.path);
    } catch (cause) {
      throw new Error(`failed to reopen container log "${this.path}"`, { cause });
    }
    const old = this.#file;
    this.#file = next;
    this.#stats.reopens++;
    await this.#closeFile(old);
  }

  async #closeNow(): Promise<void> {
    const old = this.#file;
    this.#file = undefined;
    await this.#closeFile(old);
  }

  async #closeFile(file: LogFile | undefined): Promise<void> {
    try {
      await file?.close();
    } catch (err) {
      this.#options.logger.warn({ err, path: this.path }, 'failed to close container log');
    }
  }
}
