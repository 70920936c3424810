/**
 * The CRI log line format: `<RFC 3339 timestamp> <stdout|stderr> <tag> <content>`, where the tag is
 * `F` (the line ends here) or `P` (a partial chunk the next chunk of the same stream continues), possibly
 * followed by `:`-separated extensions.
 */

/** Stream index: 0 = stdout, 1 = stderr. */
export type StreamIndex = 0 | 1;

/** Names of the streams by index. */
export const STREAM_NAMES = ['stdout', 'stderr'] as const;

/** Where the fields of one record sit in its buffer; filled in by `parseRecord`, reused per line. */
export interface RecordFields {
  /** Timestamp occupies `[start, tsEnd)` of the line. */
  tsEnd: number;
  stream: StreamIndex;
  partial: boolean;
  /** Content occupies `[contentStart, end)` of the line. */
  contentStart: number;
}

const SPACE = 32;

/**
 * Cheap shape check of the timestamp field; the full parse (`timestampMs`) only runs when a time cut
 * needs the value, which keeps a plain read fast.
 */
function looksLikeTimestamp(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start < 20) return false;
  const d = buf[start]!;
  return (
    d >= 48 &&
    d <= 57 &&
    buf[start + 4] === 45 &&
    buf[start + 7] === 45 &&
    buf[start + 13] === 58 &&
    buf[start + 16] === 58 &&
    (buf[start + 10] === 84 || buf[start + 10] === 116)
  );
}

function isStreamName(buf: Uint8Array, at: number, second: number, third: number): boolean {
  // "stdout" / "stderr": common prefix "std"
  return (
    buf[at] === 115 &&
    buf[at + 1] === 116 &&
    buf[at + 2] === 100 &&
    buf[at + 3] === second &&
    buf[at + 4] === third
  );
}

/**
 * Parses the record in `buf[start, end)` (no trailing newline) into `out`. Returns false when the line
 * is not a CRI record; such lines are passed through by the reader, not dropped.
 */
export function parseRecord(buf: Buffer, start: number, end: number, out: RecordFields): boolean {
  // The longest RFC 3339 form (nanoseconds and an offset) has 35 bytes; a bounded scan keeps garbage
  // lines without spaces from costing a search through the rest of the buffer.
  const limit = Math.min(end, start + 40);
  let tsEnd = start;
  while (tsEnd < limit && buf[tsEnd] !== SPACE) tsEnd++;
  if (tsEnd >= limit || !looksLikeTimestamp(buf, start, tsEnd)) return false;
  const s = tsEnd + 1;
  if (s + 7 > end || buf[s + 6] !== SPACE) return false;
  let stream: StreamIndex;
  if (isStreamName(buf, s, 111, 117) && buf[s + 5] === 116)
    stream = 0; // "stdout"
  else if (isStreamName(buf, s, 101, 114) && buf[s + 5] === 114)
    stream = 1; // "stderr"
  else return false;
  const tag = s + 7;
  const t = buf[tag];
  if (t !== 80 && t !== 70) return false; // 'P' | 'F'
  let tagEnd = tag + 1;
  if (tagEnd < end && buf[tagEnd] === 58) {
    // Tag extensions (`F:x`) are allowed by the format; only the first tag decides partial vs full.
    while (tagEnd < end && buf[tagEnd] !== SPACE) tagEnd++;
  }
  if (tagEnd < end && buf[tagEnd] !== SPACE) return false;
  out.tsEnd = tsEnd;
  out.stream = stream;
  out.partial = t === 80;
  out.contentStart = tagEnd < end ? tagEnd + 1 : end;
  return true;
}

/** A fresh `RecordFields` to pass to `parseRecord`. */
export function newRecordFields(): RecordFields {
  return { tsEnd: 0, stream: 0, partial: false, contentStart: 0 };
}
