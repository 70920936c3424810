import { errnoCode, type FileSystem } from '../../ports/file-system.js';
import type { ContainerState } from '../../ports/runtime-service.js';
import { listLogFiles, type RotatedFile } from '../../rotation/log-files.js';

/** One container's logs as disk pressure sees them. */
export interface MeasuredLog {
  id: string;
  logPath: string;
  state: ContainerState | undefined;
  /** Bytes of the live log, or of the rotation that stands in for it while a reopen is pending. */
  live: number;
  /** Bytes of all its files. */
  bytes: number;
  /** Rotated files that may be compressed or deleted, oldest first. */
  deletable: RotatedFile[];
}

/**
 * Lists the files of each log. The newest rotation is held back when the live log is missing (a
 * rotation's reopen is pending, so the runtime still writes to that file) or when the runtime reports
 * the container's state as unknown (it may still be writing there after an interrupted rotation).
 */
export async function measureLogs(
  logs: readonly { id: string; logPath: string; state: ContainerState | undefined }[],
  fs: FileSystem,
): Promise<MeasuredLog[]> {
  const out: MeasuredLog[] = [];
  for (const { id, logPath, state } of logs) {
    let rotated: RotatedFile[];
    try {
      rotated = (await listLogFiles(logPath, fs)).rotated;
    } catch {
      continue; // unreadable directory: nothing crilog can safely do there this time
    }
    let live: number | null = null;
    try {
      live = (await fs.lstat(logPath)).size;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') continue;
    }
    const deletable = [...rotated];
    let held = 0;
    if (live === null || state === 'unknown') held = deletable.pop()?.size ?? 0;
    const rotatedBytes = deletable.reduce((n, r) => n + r.size, 0);
    out.push({
      id,
      logPath,
      state,
      live: (live ?? 0) + held,
      bytes: (live ?? 0) + held + rotatedBytes,
      deletable,
    });
  }
  return out;
}
