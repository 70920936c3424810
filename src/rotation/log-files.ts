import type { Stats } from 'node:fs';
import path from 'node:path';
import { errnoCode, nodeFileSystem, type FileSystem } from '../ports/file-system.js';
import {
  parseRotatedName,
  splitLogPath,
  type CodecName,
  type ParsedRotatedName,
  type RotationKey,
} from './naming.js';
import { sortByWriteTime } from './write-order.js';

/** A rotated file that holds log data (raw or compressed). */
export interface RotatedFile extends RotationKey {
  path: string;
  codec: CodecName | null;
  size: number;
  mtimeMs: number;
  /** Inode, to recognise a second name of the live log left by an interrupted rename-back. */
  ino: number;
}

/** Everything next to a live log, sorted into what rotation may act on. */
export interface LogFileSet {
  live: string;
  /** Data files from earlier rotations, oldest first by when they were written (see `sortByWriteTime`). */
  rotated: RotatedFile[];
  /**
   * `.tmp` names of interrupted compressions (anything but a directory, links included), and raw files
   * whose compressed twin is complete.
   */
  leftovers: string[];
  /** Names that look like rotations but are not regular files (symlinks, directories): never touched. */
  ignored: { path: string; reason: string }[];
  /**
   * Keys of every name that looks like a rotation (with `measure`: of the measured ones, which include
   * the newest), so a new name never collides with any of them.
   */
  keys: RotationKey[];
  /**
   * With `measure`: rotation-named entries older than the measured ones, not stat'ed (so of unknown
   * kind: the caller must `lstat` one before removing it), oldest first; at most `EXCESS_LISTED` of
   * them. Empty otherwise.
   */
  excess: string[];
  /** How many such entries there are in all. */
  excessCount: number;
}

/** Options of `listLogFiles`. */
export interface ListOptions {
  /**
   * Stat only the newest rotations until this many data files were found (plus a bounded margin for
   * names that are not regular files); every older rotation-named entry goes to `excess`, unstat'ed.
   * For a caller that keeps at most this many rotations anyway: a directory of 100,000 rotation-named
   * files then costs one `readdir`, not 100,000 `lstat`s. Unset: every entry is stat'ed.
   */
  measure?: number;
}

/** Names beyond `measure` that are not looked at; only so many extra groups are stat'ed past it. */
const MEASURE_MARGIN = 64;
/** Most excess names spelled out per listing: more than one check removes. */
export const EXCESS_LISTED = 10_000;
/** Length of the sort key `YYYYMMDD-hhmmss-<15-digit sequence>`. */
const KEY_LENGTH = 31;
/** `lstat`s in flight at once while listing. */
const STAT_CONCURRENCY = 16;

interface Candidate {
  entry: string;
  parsed: ParsedRotatedName;
}

/**
 * Lists a live log's rotations. Entries are `lstat`ed, so a symlink is reported, never followed.
 * A missing directory is an empty set, not an error: the container may just have been removed.
 */
export async function listLogFiles(
  logPath: string,
  fs: FileSystem = nodeFileSystem,
  { measure }: ListOptions = {},
): Promise<LogFileSet> {
  const { dir, name } = splitLogPath(logPath);
  const set: LogFileSet = {
    live: logPath,
    rotated: [],
    leftovers: [],
    ignored: [],
    keys: [],
    excess: [],
    excessCount: 0,
  };
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return set;
    throw new Error(`failed to list log directory "${dir}"`, { cause: err });
  }
  // Every rotation-named entry behind a key that sorts as the rotations do (stamp, then the sequence
  // number zero-padded), so one native string sort orders 100,000 names without a JS comparator.
  const items: string[] = [];
  for (const entry of entries) {
    const parsed = parseRotatedName(name, entry);
    if (parsed) items.push(`${parsed.stamp}-${String(parsed.seq).padStart(15, '0')}/${entry}`);
  }
  items.sort();
  // Groups (the raw, compressed and .tmp names of one rotation), newest first, until enough were seen.
  const measured: Candidate[] = [];
  let found = 0;
  let groups = 0;
  let groupKey = '';
  let groupHasData = false;
  let cut = -1;
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    const key = item.slice(0, KEY_LENGTH);
    if (key !== groupKey) {
      if (groupHasData) found++;
      groupKey = key;
      groupHasData = false;
      groups++;
      if (measure !== undefined && (found >= measure || groups > measure + MEASURE_MARGIN)) {
        cut = i;
        break;
      }
    }
    const entry = item.slice(KEY_LENGTH + 1);
    const parsed = parseRotatedName(name, entry)!;
    if (!parsed.tmp) groupHasData = true;
    set.keys.push(parsed);
    measured.push({ entry, parsed });
  }
  // The oldest first; only as many as a caller removes at once are spelled out (see `excessCount`).
  set.excessCount = cut + 1;
  for (let i = 0; i <= Math.min(cut, EXCESS_LISTED - 1); i++)
    set.excess.push(`${dir}${path.sep}${items[i]!.slice(KEY_LENGTH + 1)}`);
  measured.reverse();
  const stats = await statAll(
    fs,
    measured.map((c) => path.join(dir, c.entry)),
  );
  const compressedTwins = new Set<string>();
  const raw: RotatedFile[] = [];
  let statIndex = 0;
  for (const { parsed } of measured) {
    const { file, st } = stats[statIndex++]!;
    if (!st) continue; // removed by someone else since readdir
    // A `.tmp` name is crilog's own scratch name: a link planted there would block every compression
    // of its raw file (O_EXCL), so it is a leftover too. Unlinking removes the link, never its target.
    if (parsed.tmp && !st.isDirectory()) {
      set.leftovers.push(file);
      continue;
    }
    if (!st.isFile()) {
      set.ignored.push({ path: file, reason: st.isSymbolicLink() ? 'symlink' : 'not a regular file' });
      continue;
    }
    const rotated: RotatedFile = {
      path: file,
      stamp: parsed.stamp,
      seq: parsed.seq,
      codec: parsed.codec,
      size: st.size,
      mtimeMs: st.mtimeMs,
      ino: st.ino,
    };
    if (parsed.codec) {
      compressedTwins.add(file.slice(0, file.lastIndexOf('.')));
      set.rotated.push(rotated);
    } else {
      raw.push(rotated);
    }
  }
  for (const r of raw) {
    if (compressedTwins.has(r.path)) set.leftovers.push(r.path);
    else set.rotated.push(r);
  }
  await sortByWriteTime(set.rotated, fs);
  return set;
}

/** `lstat` of every file, a bounded number at a time; `st` is null for a file that vanished. */
async function statAll(
  fs: FileSystem,
  files: readonly string[],
): Promise<{ file: string; st: Stats | null }[]> {
  const out: { file: string; st: Stats | null }[] = files.map((file) => ({ file, st: null }));
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const file = files[i]!;
      try {
        out[i]!.st = await fs.lstat(file);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT')
          throw new Error(`failed to stat rotated log "${file}"`, { cause: err });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(STAT_CONCURRENCY, files.length) }, worker));
  return out;
}

/**
 * All files holding a container's log history, oldest first, ending with the live path (which may
 * not exist yet). Symlinks and half-written files are left out.
 */
export async function getAllLogs(logPath: string, fs: FileSystem = nodeFileSystem): Promise<string[]> {
  const { rotated } = await listLogFiles(logPath, fs);
  return [...rotated.map((r) => r.path), logPath];
}
