import type { LineSink } from './sink.js';

const SPACE = Buffer.from(' ');

/** Keeps only the last `size` lines, for `tail`; `replay` then sends them to the real output. */
export class RingSink implements LineSink {
  readonly full = false;
  /** A circular buffer of at most `size` lines; `#next` is where the next one goes. */
  #lines: { data: Buffer; unparsed: boolean }[] = [];
  #next = 0;
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
    // Never more than `size` lines held, however long they are (each is bounded by the line cap).
    const line = { data: Buffer.concat(this.#parts), unparsed };
    if (this.#lines.length < this.size) this.#lines.push(line);
    else this.#lines[this.#next] = line;
    this.#next = (this.#next + 1) % this.size;
    this.#parts = [];
  }

  /** Writes the kept lines to `sink` (timestamps are already in the kept bytes). */
  replay(sink: LineSink): void {
    const ordered =
      this.#lines.length < this.size
        ? this.#lines
        : [...this.#lines.slice(this.#next), ...this.#lines.slice(0, this.#next)];
    for (const line of ordered) {
      if (sink.full) return;
      sink.begin(null, 0, 0);
      sink.part(line.data, 0, line.data.length);
      sink.end(line.unparsed);
    }
  }
}
