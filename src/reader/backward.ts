import type { HistoryEntry, HistoryReader } from './history.js';

const BLOCK = 256 * 1024;
/** Decoded archive content kept in memory between the backward scan and the forward read. */
const KEEP_DECODED_BYTES = 128 * 1024 * 1024;
const NL = 10;

/** One line met while reading backwards: `buf[start, end)` sits at byte `offset` of entry `entry`. */
export interface BackRecord {
  entry: number;
  offset: number;
  buf: Buffer;
  start: number;
  end: number;
}

type ReadAt = (position: number, length: number) => Promise<Buffer>;

/** Lines of one file from the last to the first, reading blocks from the end. */
class BackwardFile {
  #window: Buffer = Buffer.alloc(0);
  #winStart = 0;
  /** End (exclusive) of the next line to return; -1 once the first line was returned. */
  #recordEnd = -1;

  private constructor(private readonly readAt: ReadAt) {}

  static async create(readAt: ReadAt, size: number): Promise<BackwardFile> {
    const f = new BackwardFile(readAt);
    if (size === 0) return f;
    const from = Math.max(0, size - BLOCK);
    f.#window = await readAt(from, size - from);
    f.#winStart = from;
    const end = from + f.#window.length;
    // A final newline ends the last line; it does not start an empty one.
    f.#recordEnd = f.#window[f.#window.length - 1] === NL ? end - 1 : end;
    return f;
  }

  async prev(): Promise<{ offset: number; buf: Buffer; start: number; end: number } | null> {
    if (this.#recordEnd < 0) return null;
    for (;;) {
      const end = this.#recordEnd - this.#winStart;
      const nl = end > 0 ? this.#window.lastIndexOf(NL, end - 1) : -1;
      if (nl >= 0) {
        this.#recordEnd = this.#winStart + nl;
        return { offset: this.#winStart + nl + 1, buf: this.#window, start: nl + 1, end };
      }
      if (this.#winStart === 0) {
        this.#recordEnd = -1;
        return { offset: 0, buf: this.#window, start: 0, end };
      }
      // The line starts before the window: prepend a block, dropping what was already returned.
      const from = Math.max(0, this.#winStart - BLOCK);
      const more = await this.readAt(from, this.#winStart - from);
      this.#window = Buffer.concat([more, this.#window.subarray(0, end)]);
      this.#winStart = from;
    }
  }
}

/**
 * The lines of a whole history from newest to oldest, opening an older file only when the caller asks
 * past the start of the newer one. Raw files are read backwards in blocks; a compressed file has to
 * be decoded whole, and its content is kept on the entry for the forward pass that follows.
 */
export class BackwardScanner {
  #index: number;
  #file: BackwardFile | null = null;
  /** Decoded bytes kept on entries for the forward pass. */
  #kept = 0;

  constructor(
    private readonly entries: readonly HistoryEntry[],
    private readonly reader: HistoryReader,
  ) {
    this.#index = entries.length;
  }

  async prev(): Promise<BackRecord | null> {
    for (;;) {
      if (this.#file) {
        const rec = await this.#file.prev();
        if (rec) return { entry: this.#index, ...rec };
        this.#file = null;
      }
      const left = this.entries[this.#index];
      if (left?.data) {
        // Keep decoded content for the forward pass while it is cheap; past the budget the forward
        // pass decodes the file again, which costs time but keeps memory bounded on huge tails.
        this.#kept += left.data.length;
        if (this.#kept > KEEP_DECODED_BYTES) left.data = null;
      }
      if (this.#index === 0) return null;
      this.#index--;
      this.#file = await this.#open(this.entries[this.#index]!);
    }
  }

  async #open(entry: HistoryEntry): Promise<BackwardFile | null> {
    if (!(await this.reader.prepare(entry))) return null;
    const raw = entry.file;
    if (raw) return BackwardFile.create((position, length) => raw.readAt(position, length), await raw.size());
    const data = await this.reader.decodeAll(entry);
    return BackwardFile.create(
      async (position, length) => data.subarray(position, position + length),
      data.length,
    );
  }
}
