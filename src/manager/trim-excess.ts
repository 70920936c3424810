import { errnoCode, type FileSystem } from '../ports/file-system.js';
import { TMP_SUFFIX } from '../rotation/naming.js';
import type { CompressionQueue } from './compression-queue.js';

/**
 * Most excess names one check removes. A directory flooded with rotation-named files (a workload that
 * can write to its log directory) is emptied over several checks, each taking bounded time, instead of
 * one check holding a worker for minutes. Measured: see docs/security.md.
 */
export const EXCESS_PER_CHECK = 5000;
const CONCURRENCY = 16;

/**
 * Removes up to `EXCESS_PER_CHECK` of the rotation-named entries `listLogFiles` left unstat'ed because
 * they are older than every rotation kept. Each is `lstat`ed first: regular files go, and links at a
 * `.tmp` name (crilog's scratch name); other symlinks and directories stay, as everywhere else.
 * Returns the removed paths.
 */
export async function trimExcess(
  fs: FileSystem,
  compressions: CompressionQueue,
  excess: readonly string[],
): Promise<string[]> {
  const batch = excess.slice(0, EXCESS_PER_CHECK);
  const removed: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < batch.length) {
      const file = batch[next++]!;
      if (compressions.isBusy(file)) await compressions.cancel(file, { wait: false });
      try {
        const st = await fs.lstat(file);
        if (!st.isFile() && !(file.endsWith(TMP_SUFFIX) && !st.isDirectory())) continue;
        await fs.unlink(file);
        removed.push(file);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw new Error(`failed to remove "${file}"`, { cause: err });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, batch.length) }, worker));
  return removed;
}
