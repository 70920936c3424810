import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../ports/file-system.js';
import { listLogFiles } from '../rotation/log-files.js';
import { compareKeys, type RotationKey } from '../rotation/naming.js';
import type { Assembler } from './assembler.js';
import { ChangeWaiter } from './change-waiter.js';
import { HistoryReader, liveEntry, newestKey, rotatedEntry } from './history.js';
import { takeSnapshot } from './snapshot.js';
import type { FileLineSplitter } from './file-line-splitter.js';
import { OpenLogFile } from './live-file.js';
import type { NormalizedReadOptions } from './options.js';
import type { OutputSink } from './sink.js';
import { isSameFile } from './same-file.js';

/** What a follow carries on from the history read. */
export interface FollowState {
  logPath: string;
  /** The file being followed; its position is where the history read stopped. Null if none exists yet. */
  live: OpenLogFile | null;
  /** Newest rotation that existed when `live` was opened: later rotations are what follow must catch up. */
  knownKey: RotationKey | null;
  splitter: FileLineSplitter;
  assembler: Assembler;
  sink: OutputSink;
  reader: HistoryReader;
  warn: (message: string) => void;
  opts: Pick<NormalizedReadOptions, 'clock' | 'pollIntervalMs'>;
  /** Ends the follow at once. */
  signal?: AbortSignal;
  /** Ends the follow after reading everything written so far (the container exited). */
  stop?: AbortSignal;
}

/**
 * Streams what is appended to the live log, across any number of rotations. The open descriptor keeps
 * reading a renamed file; the follower only moves on once the runtime writes to the new live file
 * (or two rotations happened, or the container stopped), because until then the old one may still grow.
 * Rotated files that came and went between two wake-ups are read in order before the new live file.
 */
export async function follow(state: FollowState): Promise<void> {
  const waiter = new ChangeWaiter(path.dirname(state.logPath), state.opts.clock, state.opts.pollIntervalMs);
  waiter.start();
  // The clock's timers and the watch are unref'd (a pending pass must never keep a daemon up), but a
  // follow is exactly what its caller waits for: without a ref'd handle `crilog logs -f` would exit
  // with Node's "unsettled top-level await" (13) as soon as it has printed the history.
  const keepAlive = setInterval(() => {}, 2 ** 31 - 1);
  try {
    for (;;) {
      if (state.signal?.aborted || state.sink.full) return;
      const stopping = state.stop?.aborted === true;
      await drain(state);
      if (state.signal?.aborted || state.sink.full) return;
      if (await switchIfRotated(state, stopping)) continue;
      if (stopping) return;
      await waiter.wait([state.signal, state.stop]);
    }
  } finally {
    clearInterval(keepAlive);
    waiter.close();
  }
}

/** Reads the followed file to its current end. */
async function drain(state: FollowState): Promise<void> {
  const live = state.live;
  if (!live) return;
  const size = await live.size();
  if (size < live.position) {
    state.warn(
      `"${state.logPath}" shrank from ${live.position} to ${size} bytes (truncated by someone else); reading it again from the start`,
    );
    live.position = 0;
    state.splitter.reset();
  }
  await live.readToEnd(async (chunk) => {
    state.splitter.push(chunk);
    await state.sink.flush();
    return !state.sink.full && !state.signal?.aborted;
  });
}

async function statPath(file: string) {
  try {
    return await fsp.lstat(file);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw new Error(`failed to stat log file "${file}"`, { cause: err });
  }
}

/** Moves on to the files that followed the current one, if it was rotated away. Returns true on a switch. */
async function switchIfRotated(state: FollowState, force: boolean): Promise<boolean> {
  const { live, logPath } = state;
  const st = await statPath(logPath);
  if (live && st && st.ino === live.ino && st.dev === live.dev) return false;
  if (live && !force) {
    // Renamed away but no new file yet (the runtime has not reopened), or a new file that is still
    // empty: the runtime may still write to the old one.
    if (!st) return false;
    if (st.size === 0 && (await rotatedSince(logPath, state.knownKey)) < 2) return false;
  }
  if (!live && !st && !force) return false;

  await drain(state);
  // The old file is complete: a line without its newline there will not get one.
  state.splitter.end();
  const snap = await takeSnapshot(logPath);
  const newer = snap.rotated.filter((f) => state.knownKey === null || compareKeys(f, state.knownKey) > 0);
  // The first rotation after the one we knew is normally the file we were reading, under its new name.
  if (live && newer[0] && (await isSameFile(newer[0], live))) newer.shift();
  // No live file now: a rotation slipped in after the stat above and the runtime has not reopened yet,
  // so it may still write to the newest rotation. Read once, its last lines would be lost; it is
  // followed instead, until the runtime's new file appears.
  let next = snap.live;
  let nextPath = logPath;
  const newest = newer[newer.length - 1];
  if (!next && !force && newest?.codec === null) {
    next = await OpenLogFile.open(newest.path);
    if (next) {
      newer.pop();
      nextPath = newest.path;
    }
  }
  for (const file of newer) {
    if (state.signal?.aborted || state.sink.full) break;
    const entry = rotatedEntry(file);
    try {
      for await (const chunk of state.reader.chunks(entry)) {
        state.splitter.push(chunk);
        await state.sink.flush();
        if (state.signal?.aborted || state.sink.full) break;
      }
    } finally {
      // A raw rotation is read once and left behind: its descriptor must not wait for the GC.
      await entry.file?.close();
    }
    state.splitter.end();
  }
  await live?.close();
  state.live = next;
  state.knownKey = newestKey(snap.rotated.map((f) => ({ key: f })));
  if (next) await state.reader.prepare(liveEntry(next, nextPath));
  return next !== null;
}

async function rotatedSince(logPath: string, key: RotationKey | null): Promise<number> {
  const { rotated } = await listLogFiles(logPath);
  return rotated.filter((f) => key === null || compareKeys(f, key) > 0).length;
}
