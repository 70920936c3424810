import type { HistoryEntry, HistoryReader } from './history.js';

const BLOCK = 256 * 1024;
/** Decoded archive content kept in memory between the backward scan and the forward read. */
const KEEP_DECODED_BYTES = 128 * 1024 * 1024;
const NL = 10;
/** A line this long is scanned for its start without being held. */
const LONG_LINE = 4 * 1024 * 1024;
/** What is returned of such a line. */
const HEAD_BYTES = 64 * 1024;
/** Decoded bytes of a compressed file kept for the backward scan: its end, where a tail looks. */
const COMPRESSED_WINDOW = 16 * 1024 * 1024;

/** One line met while reading backwards: `buf[start, end)` sits at byte `offset` of entry `entry`. */
export interface BackRecord {
  entry: number;
  offset: number;
  buf: Buffer;
  start: number;
  end: number;
  /**
   * Set when a compressed file's content before this point was not kept: the caller must read that
   * entry from its start (forward, streaming) rather than look further back.
   */
  restart?: true;
}

/** The backward scan reached the start of what was kept of a compressed file. */
class WindowExhausted extends Error {}

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
      if (end >= LONG_LINE) return this.#longLine(this.#winStart + end);
      // The line starts before the window: prepend a block, dropping what was already returned.
      const from = Math.max(0, this.#winStart - BLOCK);
      const more = await this.readAt(from, this.#winStart - from);
      this.#window = Buffer.concat([more, this.#window.subarray(0, end)]);
      this.#winStart = from;
    }
  }

  /**
   * A line ending at `lineEnd` that is longer than what is worth holding: its start is searched block by
   * block without keeping the blocks (linear time, bounded memory), and only its head is returned, which
   * is all the tail's counting looks at (timestamp, stream, tag).
   */
  async #longLine(lineEnd: number) {
    let at = this.#winStart;
    let block: Buffer = Buffer.alloc(0);
    let nl = -1;
    while (at > 0) {
      const from = Math.max(0, at - BLOCK);
      block = await this.readAt(from, at - from);
      nl = block.lastIndexOf(NL);
      at = from;
      if (nl >= 0) break;
    }
    const lineStart = nl >= 0 ? at + nl + 1 : 0;
    const head = await this.readAt(lineStart, Math.min(HEAD_BYTES, lineEnd - lineStart));
    // Continue before the line, from the block that holds its newline.
    this.#window = nl >= 0 ? block.subarray(0, nl + 1) : Buffer.alloc(0);
    this.#winStart = at;
    this.#recordEnd = nl >= 0 ? at + nl : -1;
    return { offset: lineStart, buf: head, start: 0, end: head.length };
  }
}

/**
 * The lines of a whole history from newest to oldest, opening an older file only when the caller asks
 * past the start of the newer one. Raw files are read backwards in blocks; a compressed file has to
 * be decoded from its start, and only its last 16 MiB are kept (on the entry, for the forward pass,
 * when that is all of it).
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
        let rec;
        try {
          rec = await this.#file.prev();
        } catch (err) {
          if (!(err instanceof WindowExhausted)) throw err;
          this.#file = null;
          return { entry: this.#index, offset: 0, buf: Buffer.alloc(0), start: 0, end: 0, restart: true };
        }
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
    // Only the end of a compressed file is kept: a bomb that inflates to gigabytes costs a window.
    // One circular buffer, written in place: no garbage per decoded chunk for the GC to fall behind on.
    const ring = Buffer.allocUnsafe(COMPRESSED_WINDOW);
    let total = 0;
    for await (const chunk of this.reader.chunks(entry)) {
      let src = chunk.length > COMPRESSED_WINDOW ? chunk.subarray(chunk.length - COMPRESSED_WINDOW) : chunk;
      let at = (total + chunk.length - src.length) % COMPRESSED_WINDOW;
      total += chunk.length;
      while (src.length > 0) {
        const n = src.copy(ring, at);
        src = src.subarray(n);
        at = (at + n) % COMPRESSED_WINDOW;
      }
    }
    const kept = Math.min(total, COMPRESSED_WINDOW);
    const head = total % COMPRESSED_WINDOW;
    const data =
      total <= COMPRESSED_WINDOW
        ? ring.subarray(0, total)
        : Buffer.concat([ring.subarray(head), ring.subarray(0, head)], kept);
    const base = total - kept;
    if (base === 0) entry.data = data;
    return BackwardFile.create(async (position, length) => {
      if (position < base) throw new WindowExhausted();
      return data.subarray(position - base, position - base + length);
    }, total);
  }
}
