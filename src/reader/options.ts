import { parseDuration } from '../units/duration.js';
import { InvalidOptionError } from '../errors/crilog-error.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { DEFAULT_MAX_LINE_BYTES } from './file-line-splitter.js';
import { parseTimestamp } from './timestamp.js';
import type { ReadLogsOptions, StreamSelector } from './types.js';

/** `ReadLogsOptions` checked and reduced to what the reader works with. */
export interface NormalizedReadOptions {
  /** -1 = everything. */
  tail: number;
  /** Cut in ms since the epoch; null = none. */
  sinceMs: number | null;
  /** `Infinity` = no limit. */
  limitBytes: number;
  timestamps: boolean;
  maxLineBytes: number;
  /** Written before each line; empty for none. */
  prefix: Buffer;
  /** Selected streams by index (stdout, stderr). */
  streams: readonly [boolean, boolean];
  follow: boolean;
  pollIntervalMs: number;
  clock: Clock;
}

/** How an option is called where the caller came from (`tail` in the library, `--tail` on the command line). */
export type OptionNamer = (
  key: 'tail' | 'since' | 'limitBytes' | 'stream' | 'pollIntervalMs' | 'maxLineBytes',
) => string;

const libraryName: OptionNamer = (key) => key;

const SINCE_FORMS = 'use a duration such as 10m or 1h30m, or an RFC 3339 time such as 2026-11-27T10:00:00Z';

const STREAMS: Record<StreamSelector, readonly [boolean, boolean]> = {
  all: [true, true],
  stdout: [true, false],
  stderr: [false, true],
};

/** An RFC 3339 date-time starts with a date; anything else given to `since` is read as a duration. */
const LOOKS_LIKE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]/;

/**
 * Validates `options`; every rejection names the option, the value and the fix.
 * @throws InvalidOptionError
 */
export function normalizeReadOptions(
  options: ReadLogsOptions,
  name: OptionNamer = libraryName,
): NormalizedReadOptions {
  const clock = options.clock ?? systemClock;
  const tail = options.tail ?? -1;
  if (!Number.isSafeInteger(tail) || tail < -1) {
    throw new InvalidOptionError({
      key: name('tail'),
      value: tail,
      rule: 'must be a whole number of lines >= 0, or -1 for all',
    });
  }
  const limitBytes = options.limitBytes ?? Infinity;
  if (limitBytes !== Infinity && (!Number.isSafeInteger(limitBytes) || limitBytes <= 0)) {
    throw new InvalidOptionError({
      key: name('limitBytes'),
      value: limitBytes,
      rule: 'must be a whole number of bytes > 0',
    });
  }
  const stream = options.stream ?? 'all';
  if (!Object.hasOwn(STREAMS, stream)) {
    throw new InvalidOptionError({
      key: name('stream'),
      value: stream,
      rule: 'must be stdout, stderr or all',
    });
  }
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  if (!Number.isFinite(pollIntervalMs) || pollIntervalMs <= 0) {
    throw new InvalidOptionError({
      key: name('pollIntervalMs'),
      value: pollIntervalMs,
      rule: 'must be a number of milliseconds > 0',
    });
  }
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1024) {
    throw new InvalidOptionError({
      key: name('maxLineBytes'),
      value: maxLineBytes,
      rule: 'must be a whole number of bytes >= 1024',
      hint: 'the default is 16Mi',
    });
  }
  return {
    tail,
    maxLineBytes,
    sinceMs: options.since === undefined ? null : sinceToMs(options.since, clock, name),
    limitBytes,
    timestamps: options.timestamps === true,
    prefix: Buffer.from(options.prefix ?? ''),
    streams: STREAMS[stream],
    follow: options.follow === true,
    pollIntervalMs,
    clock,
  };
}

function sinceToMs(since: Date | string, clock: Clock, name: OptionNamer): number {
  if (since instanceof Date) {
    const ms = since.getTime();
    if (Number.isNaN(ms))
      throw new InvalidOptionError({
        key: name('since'),
        value: String(since),
        rule: 'must be a valid Date',
        hint: 'pass a valid Date, an RFC 3339 time or a duration such as 10m',
      });
    return ms;
  }
  if (typeof since !== 'string' || since.trim() === '') {
    throw new InvalidOptionError({
      key: name('since'),
      value: since,
      rule: 'must be a duration or an RFC 3339 time',
      hint: SINCE_FORMS,
    });
  }
  if (LOOKS_LIKE_TIME.test(since)) {
    const ms = parseTimestamp(since);
    if (Number.isNaN(ms)) {
      throw new InvalidOptionError({
        key: name('since'),
        value: since,
        rule: 'must be a valid RFC 3339 time',
        hint: 'use a form such as 2026-11-27T10:00:00Z or 2026-11-27T12:00:00.5+02:00',
      });
    }
    return ms;
  }
  let durationMs: number;
  try {
    durationMs = parseDuration(since, name('since'));
  } catch (cause) {
    if (!(cause instanceof InvalidOptionError)) throw cause;
    // The duration parser's own rule says what was wrong; its hint would only offer durations.
    throw new InvalidOptionError({
      key: name('since'),
      value: since,
      rule: `must be a duration or an RFC 3339 time (${cause.rule})`,
      hint: SINCE_FORMS,
    });
  }
  if (durationMs < 0) {
    throw new InvalidOptionError({
      key: name('since'),
      value: since,
      rule: 'must not be a negative duration',
      hint: 'use how long ago to start, such as 10m',
    });
  }
  return clock.now().getTime() - durationMs;
}
