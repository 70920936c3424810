import type { LineSink } from './sink.js';

const SPACE = Buffer.from(' ');

/** Keeps only the last `size` lines, for `tail`; `replay` then sends them to the real output. */
export class RingSink implements LineSink {
  readonly full = false;
  #lines: { data: Buffer; unparsed: boolean }[] = [];
  #parts: Buffer[] = [];
  #timestamps: boolean;

  constructor(
    readonly size: number,
    timestamps: boolean,
  ) {
    this.#timestamps = timestamps;
  }

  begin(ts: Buffer | null, tsStart: number, tsEnd: number): void {
    this.#parts = [];
    if (ts !== null && this.#timestamps) this.#parts.push(Buffer.from(ts.subarray(tsStart, tsEnd)), SPACE);
  }

  part(buf: Buffer, start: number, end: number): void {
    this.#parts.push(Buffer.from(buf.subarray(start, end)));
  }

  end(unparsed: boolean): void {
    if (this.size === 0) return;
    this.#lines.push({ data: Buffer.concat(this.#parts), unparsed });
    // Trim in batches: shifting one element per line would be quadratic.
    if (this.#lines.length >= this.size * 2 + 64) this.#lines.splice(0, this.#lines.length - this.size);
    this.#parts = [];
  }

  /** Writes the kept lines to `sink` (timestamps are already in the kept bytes). */
  replay(sink: LineSink): void {
    for (const line of this.#lines.slice(-this.size || this.#lines.length)) {
      if (sink.full) return;
      sink.begin(null, 0, 0);
      sink.part(line.data, 0, line.data.length);
      sink.end(line.unparsed);
    }
  }
}
