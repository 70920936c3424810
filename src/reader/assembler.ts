import { newRecordFields, parseRecord, type RecordFields } from './cri-record.js';
import { CUT_MARKER, DEFAULT_MAX_LINE_BYTES } from './file-line-splitter.js';
import type { LineSink } from './sink.js';
import { timestampMs } from './timestamp.js';

/** A line of one stream whose `P` chunks arrived but whose `F` chunk has not. */
interface PendingLine {
  ts: Buffer;
  chunks: Buffer[];
  bytes: number;
}

/** Filters an `Assembler` applies; see `NormalizedReadOptions`. */
export interface AssemblerFilter {
  streams: readonly [boolean, boolean];
  sinceMs: number | null;
  /** A run of `P` chunks longer than this is cut (default `DEFAULT_MAX_LINE_BYTES`). */
  maxLineBytes?: number;
  /** Called once per cut line. */
  onCut?: (maxLineBytes: number) => void;
}

/**
 * Turns CRI records into output lines: strips the CRI prefix, joins `P` chunks with the chunk that ends
 * their line (per stream, so interleaved stdout and stderr chunks do not mix), applies the stream and
 * time filters, and passes lines that are not CRI records through verbatim. State carries over from one
 * file to the next, so a line split across a rotation comes out whole.
 */
export class Assembler {
  sink: LineSink;
  /**
   * Time of the last record seen, which a non-CRI line inherits for the time cut; `-Infinity` before
   * the first one, so such lines at the very start are treated as older than any cut.
   */
  lastTsMs = -Infinity;
  #filter: AssemblerFilter;
  #pending: [PendingLine | null, PendingLine | null] = [null, null];
  /** Per stream: the rest of a cut line is being skipped, up to its `F` chunk. */
  #skipping: [boolean, boolean] = [false, false];
  #fields: RecordFields = newRecordFields();

  constructor(sink: LineSink, filter: AssemblerFilter) {
    this.sink = sink;
    this.#filter = filter;
  }

  /** Feeds one line of a log file, `buf[start, end)` without its newline. */
  record(buf: Buffer, start: number, end: number): void {
    if (end === start) return; // blank lines carry nothing; the runtime never writes them
    const fields = this.#fields;
    const since = this.#filter.sinceMs;
    if (!parseRecord(buf, start, end, fields)) {
      if (since !== null && this.lastTsMs < since) return;
      const sink = this.sink;
      sink.begin(null, 0, 0);
      sink.part(buf, start, end);
      sink.end(true);
      return;
    }
    if (since !== null) {
      const ts = timestampMs(buf, start, fields.tsEnd);
      if (!Number.isNaN(ts)) this.lastTsMs = ts;
      // A shape-valid but impossible time (month 13) cannot be placed; it is kept rather than lost.
      if (ts < since) {
        // Chunks older than the cut are dropped one by one, as the kubelet does; a full chunk still
        // closes a line whose newer chunks were kept.
        if (!fields.partial && this.#pending[fields.stream] && this.#filter.streams[fields.stream])
          this.#emitPending(fields.stream, null, 0, 0);
        return;
      }
    }
    if (!this.#filter.streams[fields.stream]) return;
    if (this.#skipping[fields.stream]) {
      if (!fields.partial) this.#skipping[fields.stream] = false;
      return;
    }
    const pending = this.#pending[fields.stream];
    if (fields.partial) {
      const piece = Buffer.from(buf.subarray(fields.contentStart, end));
      if (pending) {
        pending.chunks.push(piece);
        pending.bytes += piece.length;
      } else
        this.#pending[fields.stream] = {
          ts: Buffer.from(buf.subarray(start, fields.tsEnd)),
          chunks: [piece],
          bytes: piece.length,
        };
      const max = this.#filter.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
      const held = this.#pending[fields.stream]!;
      if (held.bytes > max) {
        // A runaway line: show its first `max` bytes with the marker, drop the rest up to its end.
        const head = Buffer.concat(held.chunks, held.bytes).subarray(0, max);
        held.chunks = [head, CUT_MARKER];
        this.#filter.onCut?.(max);
        this.#emitPending(fields.stream, null, 0, 0);
        this.#skipping[fields.stream] = true;
      }
      return;
    }
    if (pending) {
      this.#emitPending(fields.stream, buf, fields.contentStart, end);
      return;
    }
    const sink = this.sink;
    sink.begin(buf, start, fields.tsEnd);
    sink.part(buf, fields.contentStart, end);
    sink.end(false);
  }

  /** True while some stream has chunks waiting for the chunk that ends their line. */
  get hasPending(): boolean {
    return this.#pending[0] !== null || this.#pending[1] !== null;
  }

  /** Writes lines still waiting for their last chunk, as they are: the history ends without it. */
  finish(): void {
    const order = ([0, 1] as const).filter((s) => this.#pending[s]);
    for (const s of order) this.#emitPending(s, null, 0, 0);
  }

  #emitPending(stream: 0 | 1, last: Buffer | null, start: number, end: number): void {
    const pending = this.#pending[stream]!;
    this.#pending[stream] = null;
    const sink = this.sink;
    sink.begin(pending.ts, 0, pending.ts.length);
    for (const chunk of pending.chunks) sink.part(chunk, 0, chunk.length);
    if (last) sink.part(last, start, end);
    sink.end(false);
  }
}
