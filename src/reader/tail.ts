import type { AssemblerFilter } from './assembler.js';
import { BackwardScanner, type BackRecord } from './backward.js';
import { newRecordFields, parseRecord } from './cri-record.js';
import type { HistoryEntry, HistoryReader } from './history.js';
import { timestampMs } from './timestamp.js';

/** Where a forward read must start to see the last lines: entry index and byte offset. */
export interface StartPoint {
  entry: number;
  offset: number;
  /** Time a non-CRI line at the start point inherits (the record before it), for the time cut. */
  seedTsMs: number;
}

/**
 * How far back, beyond the lines `tail` needs, to look for the first chunks of a line whose last chunk
 * is among them. Runtimes write the chunks of one line back to back (containerd splits at 16 KiB), so
 * a megabyte of other output in between means the head is lost in practice; the line is then shown
 * from the chunks that were found.
 */
export const PARTIAL_LOOKBACK_BYTES = 1024 * 1024;

/**
 * Finds where the last `n` output lines begin by reading the history backwards, so only the newest
 * files are opened. A forward read from the returned point, keeping its last `n` lines, then yields
 * exactly what a read of the whole history would end with.
 *
 * Counting runs over records: each full (`F`) record of a selected stream ends one line, and so does
 * each non-CRI line. Once enough are found, the start moves further back while a selected stream that
 * appears after it has its line still open (a `P` record just before), so no joined line loses its head.
 */
export async function findTailStart(
  entries: readonly HistoryEntry[],
  reader: HistoryReader,
  wanted: number,
  filter: AssemblerFilter,
): Promise<StartPoint> {
  const start: StartPoint = { entry: entries.length - 1, offset: Infinity, seedTsMs: -Infinity };
  if (wanted === 0) return start;
  const since = filter.sinceMs;
  const fields = newRecordFields();
  const scanner = new BackwardScanner(entries, reader);
  const seen = [false, false];
  let count = 0;
  // Non-CRI lines count only once the record before them shows they pass the time cut.
  let tentative = 0;
  let startIsParsed = true;
  const moveTo = (rec: BackRecord, parsed: boolean) => {
    start.entry = rec.entry;
    start.offset = rec.offset;
    startIsParsed = parsed;
  };

  for (;;) {
    const rec = await scanner.prev();
    if (!rec) return { entry: 0, offset: 0, seedTsMs: -Infinity };
    // Lines before what was kept of a huge compressed file: read all of it; the ring keeps the last `wanted`.
    if (rec.restart) return { entry: rec.entry, offset: 0, seedTsMs: -Infinity };
    if (rec.end === rec.start) continue;
    if (!parseRecord(rec.buf, rec.start, rec.end, fields)) {
      if (since === null) count++;
      else tentative++;
      moveTo(rec, false);
    } else {
      if (since !== null) {
        const ts = timestampMs(rec.buf, rec.start, fields.tsEnd);
        if (ts < since) {
          // Everything before is older than the cut: the forward read starts at this record.
          moveTo(rec, true);
          return start;
        }
        count += tentative;
        tentative = 0;
      }
      moveTo(rec, true);
      if (filter.streams[fields.stream]) {
        seen[fields.stream] = true;
        if (!fields.partial) count++;
      }
    }
    if (count >= wanted) break;
  }

  // Look back for open lines of the streams that appear after the start, and for the time a non-CRI
  // line at the start inherits.
  const need = [seen[0]!, seen[1]!];
  let needSeed = since !== null && !startIsParsed;
  let budget = PARTIAL_LOOKBACK_BYTES;
  while (need[0] || need[1] || needSeed) {
    const rec = await scanner.prev();
    if (!rec || rec.restart) break;
    budget -= rec.end - rec.start + 1;
    if (budget < 0) break;
    if (!parseRecord(rec.buf, rec.start, rec.end, fields)) continue;
    if (since !== null) {
      const ts = timestampMs(rec.buf, rec.start, fields.tsEnd);
      if (needSeed) {
        start.seedTsMs = ts;
        needSeed = false;
      }
      if (ts < since) break; // older chunks are cut anyway
    }
    const stream = fields.stream;
    if (!filter.streams[stream] || !need[stream]) continue;
    if (!fields.partial) {
      need[stream] = false;
      continue;
    }
    // The line open at the start began here: start here, and check again every stream seen after it.
    moveTo(rec, true);
    seen[stream] = true;
    need[0] = seen[0]!;
    need[1] = seen[1]!;
    needSeed = false;
    budget = PARTIAL_LOOKBACK_BYTES;
  }
  return start;
}
