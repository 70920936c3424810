/**
 * RFC 3339 timestamps as CRI runtimes write them (`2026-11-27T10:00:00.123456789Z`, or with a
 * `+hh:mm` offset), checked and converted straight from the bytes of a log line: this runs once per
 * line, so it avoids allocating a string.
 */

const D0 = 48; // '0'

function digits(buf: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = buf[i]! - D0;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/**
 * Milliseconds since the epoch of the timestamp in `buf[start, end)`, fraction truncated to the
 * millisecond; `NaN` when the bytes are not an RFC 3339 date-time. Truncation keeps comparisons against
 * a whole-millisecond cut exact: `ts < cut` holds exactly when `floor(ts) < cut`.
 */
export function timestampMs(buf: Uint8Array, start: number, end: number): number {
  if (end - start < 20) return NaN;
  const year = digits(buf, start, 4);
  const month = digits(buf, start + 5, 2);
  const day = digits(buf, start + 8, 2);
  const hour = digits(buf, start + 11, 2);
  const minute = digits(buf, start + 14, 2);
  const second = digits(buf, start + 17, 2);
  const separator = buf[start + 10];
  if (
    year < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 60 ||
    buf[start + 4] !== 45 ||
    buf[start + 7] !== 45 ||
    (separator !== 84 && separator !== 116) ||
    buf[start + 13] !== 58 ||
    buf[start + 16] !== 58
  ) {
    return NaN;
  }
  let pos = start + 19;
  let millis = 0;
  if (buf[pos] === 46) {
    // Fraction: any number of digits, only the first three matter.
    pos++;
    const fracStart = pos;
    while (pos < end && buf[pos]! >= D0 && buf[pos]! <= D0 + 9) {
      if (pos - fracStart < 3) millis = millis * 10 + (buf[pos]! - D0);
      pos++;
    }
    const fracDigits = pos - fracStart;
    if (fracDigits === 0) return NaN;
    if (fracDigits < 3) millis *= fracDigits === 1 ? 100 : 10;
  }
  let offsetMin = 0;
  const zone = buf[pos];
  if ((zone === 90 || zone === 122) && pos + 1 === end) {
    // 'Z' or 'z'
  } else if ((zone === 43 || zone === 45) && pos + 6 === end && buf[pos + 3] === 58) {
    const oh = digits(buf, pos + 1, 2);
    const om = digits(buf, pos + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
    offsetMin = (zone === 43 ? 1 : -1) * (oh * 60 + om);
  } else {
    return NaN;
  }
  // Consecutive records share their hour almost always; Date.UTC per record is the costly part.
  const hourKey = ((year * 100 + month) * 100 + day) * 100 + hour;
  if (hourKey !== cachedHourKey) {
    cachedHourKey = hourKey;
    cachedHourMs = Date.UTC(year, month - 1, day, hour);
  }
  return cachedHourMs + minute * 60_000 + (second === 60 ? 59 : second) * 1000 + millis - offsetMin * 60_000;
}

let cachedHourKey = -1;
let cachedHourMs = 0;

/** `timestampMs` for a string; `NaN` when it is not an RFC 3339 date-time. */
export function parseTimestamp(value: string): number {
  const buf = Buffer.from(value, 'latin1');
  return timestampMs(buf, 0, buf.length);
}
