/** Receives one line, `buf[start, end)`, without its newline. The bytes are only valid during the call. */
export type LineHandler = (buf: Buffer, start: number, end: number) => void;

const NL = 10;

/**
 * Cuts a stream of chunks into lines. A line that spans chunks is carried over (copied, since readers
 * reuse their buffers); `end` hands over a last line that has no newline.
 */
export class LineSplitter {
  #carry: Buffer | null = null;

  constructor(private readonly onLine: LineHandler) {}

  push(chunk: Buffer): void {
    let pos = 0;
    const len = chunk.length;
    if (this.#carry) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.#carry = Buffer.concat([this.#carry, chunk]);
        return;
      }
      const line = Buffer.concat([this.#carry, chunk.subarray(0, nl)]);
      this.#carry = null;
      this.onLine(line, 0, line.length);
      pos = nl + 1;
    }
    const onLine = this.onLine;
    while (pos < len) {
      const nl = chunk.indexOf(NL, pos);
      if (nl < 0) {
        this.#carry = Buffer.from(chunk.subarray(pos));
        return;
      }
      onLine(chunk, pos, nl);
      pos = nl + 1;
    }
  }

  /** True while a line without its newline is held back. */
  get hasCarry(): boolean {
    return this.#carry !== null;
  }

  /** Emits the held-back line, if any: its file ended without a newline. */
  end(): void {
    const carry = this.#carry;
    this.#carry = null;
    if (carry) this.onLine(carry, 0, carry.length);
  }

  /** Forgets the held-back bytes (the file they came from was truncated). */
  reset(): void {
    this.#carry = null;
  }
}
