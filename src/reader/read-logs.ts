import { promises as fsp } from 'node:fs';
import { errnoCode } from '../ports/file-system.js';
import { Assembler } from './assembler.js';
import { follow } from './follow.js';
import { HistoryReader, liveEntry, newestKey, rotatedEntry, type HistoryEntry } from './history.js';
import { FileLineSplitter } from './file-line-splitter.js';
import { normalizeReadOptions, type NormalizedReadOptions } from './options.js';
import { findSinceStart } from './since.js';
import { RingSink } from './ring-sink.js';
import { takeSnapshot } from './snapshot.js';
import { OutputSink } from './sink.js';
import { findTailStart, type StartPoint } from './tail.js';
import type { LogOutput, ReadLogsOptions, ReadSummary } from './types.js';

/** How a read is ended from outside, and where its warnings go. */
export interface ReadControls {
  /** Ends the read at once. */
  signal?: AbortSignal;
  /** Ends a follow once everything written so far is read. */
  stop?: AbortSignal;
  onWarning?: (message: string) => void;
}

/**
 * Reads a container's log history, every rotated file (raw or compressed) oldest first and then the
 * live file, as one stream of lines with the CRI prefix removed, like `kubectl logs` but across
 * rotations. Damaged archives and files removed while reading become warnings, never a failure.
 *
 * @param logPath the live log path the runtime writes (a symlink to it is followed).
 * @throws InvalidOptionError for a bad option, before anything is read.
 */
export async function readLogs(
  logPath: string,
  options: ReadLogsOptions,
  output: LogOutput,
): Promise<ReadSummary> {
  const opts = normalizeReadOptions(options);
  return runRead(logPath, opts, output, { signal: options.signal, onWarning: options.onWarning });
}

/** `readLogs` with options already checked; the runtime-aware reader adds a graceful stop. */
export async function runRead(
  logPath: string,
  opts: NormalizedReadOptions,
  output: LogOutput,
  controls: ReadControls,
): Promise<ReadSummary> {
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    controls.onWarning?.(message);
  };
  const sink = new OutputSink(output, opts.limitBytes, opts.timestamps, opts.prefix);
  const reader = new HistoryReader(warn);
  const resolved = await resolveLogPath(logPath);
  const snap = await takeSnapshot(resolved);
  const entries: HistoryEntry[] = [...snap.rotated.map(rotatedEntry), liveEntry(snap.live, resolved)];
  const liveIndex = entries.length - 1;
  let cuts = 0;
  const onCut = (max: number) => {
    cuts++;
    if (cuts <= 3)
      warn(
        `a line of "${resolved}"'s history is longer than ${max} bytes: cut there (marked "[crilog: line cut …]"), the rest of it skipped; raise the cap with --max-line-bytes${cuts === 3 ? ' (further cut lines are not reported)' : ''}`,
      );
  };
  const filter = { streams: opts.streams, sinceMs: opts.sinceMs, maxLineBytes: opts.maxLineBytes, onCut };
  const stopped = () => sink.full || controls.signal?.aborted === true;
  let live = snap.live;
  try {
    let start: StartPoint = { entry: 0, offset: 0, seedTsMs: -Infinity };
    let ring: RingSink | null = null;
    if (opts.tail >= 0) {
      start = await findTailStart(entries, reader, opts.tail, filter);
      ring = new RingSink(opts.tail, opts.timestamps);
    } else if (opts.sinceMs !== null) {
      start = await findSinceStart(entries, reader, opts.sinceMs);
    }
    const assembler = new Assembler(ring ?? sink, filter);
    assembler.lastTsMs = start.seedTsMs;
    const splitter = new FileLineSplitter(
      (line, lineStart, lineEnd) => assembler.record(line, lineStart, lineEnd),
      {
        maxLineBytes: opts.maxLineBytes,
        onCut,
      },
    );
    // With a ring nothing reaches the output before the history is done, so there is nothing to flush.
    const flush = ring ? async () => {} : () => sink.flush();

    for (let i = start.entry; i < liveIndex && !stopped(); i++) {
      const entry = entries[i]!;
      for await (const chunk of reader.chunks(entry, i === start.entry ? start.offset : 0)) {
        splitter.push(chunk);
        await flush();
        if (stopped()) break;
      }
      splitter.end();
      entry.data = null;
    }
    if (live && !stopped()) {
      await reader.prepare(entries[liveIndex]!);
      live.position = start.entry === liveIndex ? Math.min(start.offset, await live.size()) : 0;
      await live.readToEnd(async (chunk) => {
        splitter.push(chunk);
        await flush();
        return !stopped();
      });
    }
    const finish = () => {
      // Lines still open when reading ends are shown as they are: they will not get their end.
      splitter.end();
      assembler.finish();
    };
    if (ring) {
      // Without a follow (or when it will not start) open lines belong to the history the ring keeps.
      if (!opts.follow || stopped()) finish();
      ring.replay(sink);
      assembler.sink = sink;
    }
    await sink.flush();

    if (opts.follow && !stopped()) {
      const state = {
        logPath: resolved,
        live,
        knownKey: newestKey(entries),
        splitter,
        assembler,
        sink,
        reader,
        warn,
        opts,
        signal: controls.signal,
        stop: controls.stop,
      };
      try {
        await follow(state);
      } finally {
        live = state.live;
      }
    }
    if (!sink.full) {
      finish();
      await sink.flush();
    }
  } finally {
    await Promise.all(entries.map((e) => e.file?.close()));
    await live?.close();
  }
  return {
    lines: sink.lines,
    bytes: sink.bytes,
    unparsed: sink.unparsed,
    warnings,
    limitReached: sink.limitReached,
    filesRead: reader.filesRead,
  };
}

/** Rotated files sit next to the real file, so a symlink to the live log (as in /var/log/containers) is resolved. */
async function resolveLogPath(logPath: string): Promise<string> {
  try {
    return await fsp.realpath(logPath);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return logPath;
    throw new Error(`failed to resolve log path "${logPath}"`, { cause: err });
  }
}
