import { errnoCode, nodeFileSystem, type FileSystem } from '../ports/file-system.js';
import { listLogFiles } from '../rotation/log-files.js';
import { removeRotated } from './remove-rotated.js';

/**
 * Removes a live log, its rotations and the leftovers of interrupted compressions. Unlike a
 * `<log>*` glob it only matches exact rotation names, so `0.log-other` or `0.log.bak` survive; symlinks
 * named like rotations are left alone. Returns the removed paths.
 */
export async function cleanLogPath(logPath: string, fs: FileSystem = nodeFileSystem): Promise<string[]> {
  const set = await listLogFiles(logPath, fs);
  const targets = [...set.rotated.map((r) => r.path), ...set.leftovers];
  try {
    if ((await fs.lstat(logPath)).isFile()) targets.push(logPath);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw new Error(`failed to stat "${logPath}"`, { cause: err });
  }
  return removeRotated(fs, targets, { twins: false });
}
