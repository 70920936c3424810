import { newRecordFields, parseRecord } from './cri-record.js';
import type { HistoryEntry, HistoryReader } from './history.js';
import type { OpenLogFile } from './live-file.js';
import type { StartPoint } from './tail.js';
import { FileLineSplitter } from './file-line-splitter.js';
import { timestampMs } from './timestamp.js';

/** Give up looking for a first timestamp after this much content that holds none. */
const PROBE_LIMIT = 4 * 1024 * 1024;

/**
 * Time of the first CRI record of `entry`, reading (or decompressing) only as far as that record;
 * undefined for an empty, unreadable or record-less file.
 */
export async function firstTimestamp(
  entry: HistoryEntry,
  reader: HistoryReader,
): Promise<number | undefined> {
  const fields = newRecordFields();
  let found: number | undefined;
  const splitter = new FileLineSplitter((buf, start, end) => {
    if (found === undefined && parseRecord(buf, start, end, fields)) {
      const ts = timestampMs(buf, start, fields.tsEnd);
      if (!Number.isNaN(ts)) found = ts;
    }
  });
  // A probe neither warns nor counts (marked as done already): the file may be read in full later.
  const probe: HistoryEntry = { ...entry, warned: true, counted: true };
  let seen = 0;
  for await (const chunk of reader.chunks(probe)) {
    splitter.push(chunk);
    seen += chunk.length;
    if (found !== undefined || seen >= PROBE_LIMIT) break;
  }
  if (found === undefined) splitter.end();
  // Keep what the probe opened or learned for the real read.
  entry.file ??= probe.file;
  entry.path = probe.path;
  entry.codec = probe.codec;
  return found;
}

/**
 * Where a read for records at or after `sinceMs` starts. Rotation is sequential, so every line of a
 * file is older than the first line of any later file: once a later file begins before the cut, all
 * files before it can be skipped without being decompressed. Files are probed newest first and only up
 * to their first record. Inside a raw file the start is then narrowed by bisection on its timestamps.
 */
export async function findSinceStart(
  entries: readonly HistoryEntry[],
  reader: HistoryReader,
  sinceMs: number,
): Promise<StartPoint> {
  let entry = 0;
  for (let j = entries.length - 1; j >= 1; j--) {
    const ts = await firstTimestamp(entries[j]!, reader);
    if (ts !== undefined && ts < sinceMs) {
      entry = j;
      break;
    }
  }
  const e = entries[entry]!;
  if (!(await reader.prepare(e))) return { entry, offset: 0, seedTsMs: -Infinity };
  const offset = e.file ? await bisectSince(e.file, sinceMs) : 0;
  return { entry, offset, seedTsMs: -Infinity };
}

const PROBE = 64 * 1024;

/**
 * Start of a record in `file` before which all records are older than `sinceMs` (0 if unsure). The
 * forward read drops older records one by one anyway, so landing a little early costs a few lines of
 * parsing, never a wrong result; timestamps must only rise within the file.
 */
export async function bisectSince(file: OpenLogFile, sinceMs: number): Promise<number> {
  const fields = newRecordFields();
  let lo = 0;
  let hi = await file.size();
  while (hi - lo > PROBE) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const block = await file.readAt(mid, PROBE);
    let at = block.indexOf(10) + 1;
    let found: { offset: number; ts: number } | undefined;
    while (at > 0 && at < block.length && !found) {
      const nl = block.indexOf(10, at);
      if (nl < 0) break;
      if (parseRecord(block, at, nl, fields)) {
        const ts = timestampMs(block, at, fields.tsEnd);
        if (!Number.isNaN(ts)) found = { offset: mid + at, ts };
      }
      at = nl + 1;
    }
    if (!found || found.offset > hi) break; // nothing usable in reach: read from what is known
    if (found.ts < sinceMs) lo = found.offset;
    else hi = mid;
  }
  return lo;
}
