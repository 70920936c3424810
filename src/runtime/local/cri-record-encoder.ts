import { InvalidOptionError } from '../../errors/crilog-error.js';
import { formatRfc3339Nano, type NanoClock } from './nano-clock.js';

/** The two output streams of a process, named as in CRI log lines. */
export type CriStream = 'stdout' | 'stderr';

/** containerd's default `max_container_log_line_size`. */
export const DEFAULT_MAX_LINE_SIZE = 16 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const NEWLINE = Buffer.from('\n');

/** Rejects a line size that is not a positive integer, naming the option and the fix. */
export function validateMaxLineSize(value: unknown, option = 'maxLineSize'): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidOptionError({
      key: option,
      value,
      rule: 'must be a positive integer number of bytes',
      hint: `use e.g. ${DEFAULT_MAX_LINE_SIZE}`,
    });
  }
  return value;
}

/**
 * The writing side of the CRI log format (the local runtime's; the reader's `FileLineSplitter` and
 * `parseRecord` are the reading side): encodes the raw bytes of one process stream as CRI log
 * records, byte for byte as containerd's logger does:
 * one `<time> <stream> F <content>\n` record per line with the `\n` (and a `\r` right before it)
 * removed; a line longer than `maxLineSize` is cut into `P` records of exactly `maxLineSize` bytes
 * followed by the rest as `F`; bytes left without a newline when the stream ends become a `P` record.
 *
 * Output is a list of buffer pieces; a record is never split across two `push` results, so
 * whatever file the pieces land in holds whole records.
 */
export class CriRecordEncoder {
  readonly #stream: CriStream;
  readonly #maxLineSize: number;
  readonly #clock: NanoClock;
  /** Bytes of the line in progress; subarrays of the pushed chunks, never copies. */
  #parts: Buffer[] = [];
  #length = 0;

  constructor(stream: CriStream, maxLineSize: number, clock: NanoClock) {
    this.#stream = stream;
    this.#maxLineSize = validateMaxLineSize(maxLineSize);
    this.#clock = clock;
  }

  /** Bytes held for the unterminated line in progress (at most `maxLineSize + 1`). */
  get pendingBytes(): number {
    return this.#length;
  }

  /** Consumes a chunk; appends the pieces of every completed record to `out` and returns it. */
  push(chunk: Buffer, out: Buffer[] = []): Buffer[] {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(LF, start);
      if (nl === -1) {
        this.#append(chunk.subarray(start));
        // A trailing `\r` may still turn out to be part of `\r\n`, so it does not count yet.
        this.#emitOverflow(out, true);
        break;
      }
      this.#append(chunk.subarray(start, nl));
      this.#dropTrailingCr();
      this.#emitOverflow(out, false);
      this.#emit(out, 'F');
      start = nl + 1;
    }
    return out;
  }

  /** Flushes the unterminated rest at stream end as `P` record(s). */
  end(out: Buffer[] = []): Buffer[] {
    this.#emitOverflow(out, false);
    if (this.#length > 0) this.#emit(out, 'P');
    return out;
  }

  #append(part: Buffer): void {
    if (part.length === 0) return;
    this.#parts.push(part);
    this.#length += part.length;
  }

  #endsWithCr(): boolean {
    const last = this.#parts[this.#parts.length - 1];
    return last !== undefined && last[last.length - 1] === CR;
  }

  #dropTrailingCr(): void {
    if (!this.#endsWithCr()) return;
    const last = this.#parts.pop() as Buffer;
    if (last.length > 1) this.#parts.push(last.subarray(0, last.length - 1));
    this.#length--;
  }

  /** Emits `P` records of exactly `maxLineSize` bytes while the line in progress is longer than that. */
  #emitOverflow(out: Buffer[], holdCr: boolean): void {
    const max = this.#maxLineSize;
    while (this.#length - (holdCr && this.#endsWithCr() ? 1 : 0) > max) {
      const head: Buffer[] = [];
      let need = max;
      while (need > 0) {
        const part = this.#parts[0] as Buffer;
        if (part.length <= need) {
          head.push(part);
          this.#parts.shift();
          need -= part.length;
        } else {
          head.push(part.subarray(0, need));
          this.#parts[0] = part.subarray(need);
          need = 0;
        }
      }
      this.#length -= max;
      this.#write(out, 'P', head);
    }
  }

  #emit(out: Buffer[], tag: 'P' | 'F'): void {
    const parts = this.#parts;
    this.#parts = [];
    this.#length = 0;
    this.#write(out, tag, parts);
  }

  #write(out: Buffer[], tag: 'P' | 'F', content: Buffer[]): void {
    out.push(Buffer.from(`${formatRfc3339Nano(this.#clock.nowNs())} ${this.#stream} ${tag} `, 'latin1'));
    for (const part of content) out.push(part);
    out.push(NEWLINE);
  }
}
