import path from 'node:path';
import { errnoCode, nodeFileSystem, type FileSystem } from '../ports/file-system.js';
import { parseRotatedName, splitLogPath, type CodecName, type RotationKey } from './naming.js';
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
  /** Keys of every name that looks like a rotation, so a new name never collides with any of them. */
  keys: RotationKey[];
}

/**
 * Lists a live log's rotations. Entries are `lstat`ed, so a symlink is reported, never followed.
 * A missing directory is an empty set, not an error: the container may just have been removed.
 */
export async function listLogFiles(logPath: string, fs: FileSystem = nodeFileSystem): Promise<LogFileSet> {
  const { dir, name } = splitLogPath(logPath);
  const set: LogFileSet = { live: logPath, rotated: [], leftovers: [], ignored: [], keys: [] };
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return set;
    throw new Error(`failed to list log directory "${dir}"`, { cause: err });
  }
  const compressedTwins = new Set<string>();
  const raw: RotatedFile[] = [];
  for (const entry of entries) {
    const parsed = parseRotatedName(name, entry);
    if (!parsed) continue;
    const file = path.join(dir, entry);
    set.keys.push(parsed);
    let st;
    try {
      st = await fs.lstat(file);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue; // removed by someone else since readdir
      throw new Error(`failed to stat rotated log "${file}"`, { cause: err });
    }
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

/**
 * All files holding a container's log history, oldest first, ending with the live path (which may
 * not exist yet). Symlinks and half-written files are left out.
 */
export async function getAllLogs(logPath: string, fs: FileSystem = nodeFileSystem): Promise<string[]> {
  const { rotated } = await listLogFiles(logPath, fs);
  return [...rotated.map((r) => r.path), logPath];
}
