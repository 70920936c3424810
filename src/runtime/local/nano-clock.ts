/** Wall-clock time in nanoseconds since the Unix epoch, as a port so tests can fix the timestamps. */
export interface NanoClock {
  nowNs(): bigint;
}

const NS_PER_MS = 1_000_000n;
/** Re-anchor when the monotonic clock and the wall clock disagree by more than this (NTP steps, suspend). */
const MAX_DRIFT_NS = 1_000n * NS_PER_MS;

/**
 * A nanosecond wall clock: `Date.now()` only has millisecond resolution, so the monotonic
 * `process.hrtime.bigint()` supplies the digits below it. The anchor is refreshed when the two drift
 * apart, but never backwards, so timestamps within one process stay non-decreasing.
 */
export function createSystemNanoClock(): NanoClock {
  let offset = BigInt(Date.now()) * NS_PER_MS - process.hrtime.bigint();
  let last = 0n;
  return {
    nowNs() {
      let now = process.hrtime.bigint() + offset;
      const wall = BigInt(Date.now()) * NS_PER_MS;
      const drift = now - wall;
      // The wall clock has ms granularity: only a drift well beyond that means the clock was stepped.
      if (drift > MAX_DRIFT_NS || drift < -MAX_DRIFT_NS) {
        offset = wall - process.hrtime.bigint();
        now = process.hrtime.bigint() + offset;
      }
      if (now < last) now = last;
      last = now;
      return now;
    },
  };
}

/** The process-wide system nano clock. */
export const systemNanoClock: NanoClock = createSystemNanoClock();

let cachedSecond = -1n;
let cachedPrefix = '';

/**
 * Formats like Go's `time.RFC3339Nano` in UTC, which is what containerd writes into CRI logs:
 * `2006-01-02T15:04:05.999999999Z`, trailing zeros of the fraction trimmed and the dot dropped when
 * the fraction is zero.
 */
export function formatRfc3339Nano(ns: bigint): string {
  let seconds = ns / 1_000_000_000n;
  let fraction = ns % 1_000_000_000n;
  if (fraction < 0n) {
    seconds -= 1n;
    fraction += 1_000_000_000n;
  }
  // Many lines share a second: the date part is computed once per second.
  if (seconds !== cachedSecond) {
    cachedSecond = seconds;
    cachedPrefix = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  }
  if (fraction === 0n) return `${cachedPrefix}Z`;
  const digits = fraction.toString().padStart(9, '0').replace(/0+$/, '');
  return `${cachedPrefix}.${digits}Z`;
}
