/** Receives one line, `buf[start, end)`, without its newline. The bytes are only valid during the call. */
export type LineHandler = (buf: Buffer, start: number, end: number) => void;

const NL = 10;

/** Longest line (or run of `P` chunks) the reader assembles before cutting it: 16 MiB. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

/** Appended to a line that was cut at the cap. */
export const CUT_MARKER = Buffer.from(' [crilog: line cut, longer than the line cap]');

/** How a splitter bounds what it holds. */
export interface SplitterLimits {
  /** A physical line longer than this is cut (handed over with `CUT_MARKER`) and the rest skipped. */
  maxLineBytes?: number;
  /** Called once per cut line. */
  onCut?: (maxLineBytes: number) => void;
}

/**
 * The reader's first step: cuts the bytes read from a log file into physical lines, each one CRI record
 * for the record parser (the local runtime's `CriRecordEncoder` writes them). A line that spans chunks is carried over as a list of copied
 * pieces and joined once its newline arrives, so assembling a long line costs linear time; a line past
 * the cap is cut there, so what is held stays bounded whatever a file contains.
 */
export class FileLineSplitter {
  #parts: Buffer[] = [];
  #carried = 0;
  /** Skipping the rest of a line that was cut. */
  #skipping = false;
  readonly #max: number;
  readonly #onCut: ((max: number) => void) | undefined;

  constructor(
    private readonly onLine: LineHandler,
    limits: SplitterLimits = {},
  ) {
    this.#max = limits.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.#onCut = limits.onCut;
  }

  push(chunk: Buffer): void {
    let pos = 0;
    const len = chunk.length;
    if (this.#skipping || this.#carried > 0) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.#hold(chunk, 0, len);
        return;
      }
      if (this.#skipping) this.#skipping = false;
      else {
        this.#hold(chunk, 0, nl);
        if (!this.#skipping) this.#flushCarry();
        this.#skipping = false;
      }
      pos = nl + 1;
    }
    const onLine = this.onLine;
    while (pos < len) {
      const nl = chunk.indexOf(NL, pos);
      if (nl < 0) {
        this.#hold(chunk, pos, len);
        return;
      }
      if (nl - pos > this.#max) this.#cut(chunk.subarray(pos, pos + this.#max));
      else onLine(chunk, pos, nl);
      pos = nl + 1;
    }
  }

  /** True while a line without its newline is held back. */
  get hasCarry(): boolean {
    return this.#carried > 0;
  }

  /** Emits the held-back line, if any: its file ended without a newline. */
  end(): void {
    this.#skipping = false;
    if (this.#carried > 0) this.#flushCarry();
  }

  /** Forgets the held-back bytes (the file they came from was truncated). */
  reset(): void {
    this.#parts = [];
    this.#carried = 0;
    this.#skipping = false;
  }

  #hold(chunk: Buffer, start: number, end: number): void {
    if (this.#skipping || end <= start) return;
    const room = this.#max - this.#carried;
    if (end - start > room) {
      this.#parts.push(Buffer.from(chunk.subarray(start, start + room)));
      const line = Buffer.concat(this.#parts, this.#max);
      this.#parts = [];
      this.#carried = 0;
      this.#skipping = true;
      this.#cut(line);
      return;
    }
    this.#parts.push(Buffer.from(chunk.subarray(start, end)));
    this.#carried += end - start;
  }

  #flushCarry(): void {
    const line = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#carried);
    this.#parts = [];
    this.#carried = 0;
    this.onLine(line, 0, line.length);
  }

  #cut(head: Buffer): void {
    this.#onCut?.(this.#max);
    const line = Buffer.concat([head, CUT_MARKER]);
    this.onLine(line, 0, line.length);
  }
}
