import type { Writable } from 'node:stream';
import type { Clock } from '../ports/clock.js';

/** Which of a container's streams to read. */
export type StreamSelector = 'stdout' | 'stderr' | 'all';

/** Receives each output line without its trailing newline. */
export type LineCallback = (line: string) => void;

/** Where `readLogs` writes: a byte stream (lines end with `\n`) or a callback per line. */
export type LogOutput = Writable | LineCallback;

/** Options of `readLogs`, modelled on `kubectl logs`. */
export interface ReadLogsOptions {
  /** Only the last N lines of the (filtered) history; -1 or absent for all, 0 for none. */
  tail?: number;
  /**
   * Only chunks written at or after this time: a `Date`, an RFC 3339 time, or a duration before now
   * (`'10m'`, `'1h30m'`). Like the kubelet, the cut applies to each CRI record, so a line whose first
   * chunks are older than the cut is shown from its first chunk that is not.
   */
  since?: Date | string;
  /** Stop after writing this many bytes (the last line may be cut short). */
  limitBytes?: number;
  /** Prefix each line with its RFC 3339 timestamp and a space, as the runtime recorded it. */
  timestamps?: boolean;
  /**
   * Longest line (or run of `P` chunks) assembled, in bytes; a longer one is cut there, marked, and
   * reported as a warning. Default 16 MiB. Bounds the reader's memory whatever a file contains.
   */
  maxLineBytes?: number;
  /** Text written before each line (and before its timestamp), e.g. `[pod/web/nginx] ` as kubectl's `--prefix`. */
  prefix?: string;
  /** Default `'all'`. Lines that are not CRI records belong to no stream and always pass. */
  stream?: StreamSelector;
  /** After the history, keep streaming new lines across rotations until `signal` aborts. */
  follow?: boolean;
  /** Ends the read (also a follow) early; the promise then resolves with what was written so far. */
  signal?: AbortSignal;
  /** Called for each problem that did not stop the read (corrupt archive, file removed meanwhile). */
  onWarning?: (message: string) => void;
  /** Time source for `since` durations and follow polling; the system clock by default. */
  clock?: Clock;
  /** Follow: how often to check the files when no filesystem event arrived, in ms. Default 500. */
  pollIntervalMs?: number;
}

/** What a read did. */
export interface ReadSummary {
  /** Lines written (a line cut short by `limitBytes` counts). */
  lines: number;
  /** Bytes written, timestamp prefixes and newlines included. */
  bytes: number;
  /** Written lines that were not CRI records and were passed through verbatim. */
  unparsed: number;
  /** Every warning also sent to `onWarning`, in order. */
  warnings: string[];
  /** True when the read stopped at `limitBytes`. */
  limitReached: boolean;
  /** Data files opened (rotated and live). */
  filesRead: number;
}
