import { listLogFiles, type RotatedFile } from '../rotation/log-files.js';
import { OpenLogFile } from './live-file.js';

/** Rotated files and the opened live file, taken from one consistent listing. */
export interface Snapshot {
  rotated: RotatedFile[];
  live: OpenLogFile | null;
}

const sameNames = (a: RotatedFile[], b: RotatedFile[]) =>
  a.length === b.length && a.every((f, i) => f.path === b[i]!.path);

/**
 * Lists the rotated files and opens the live one so that both describe the same moment: if a rotation
 * slips between the listing and the open, the opened file could be the new live log while the old one
 * is missing from the list, so the listing is repeated until it did not change around the open.
 */
export async function takeSnapshot(logPath: string): Promise<Snapshot> {
  let before = (await listLogFiles(logPath)).rotated;
  for (let attempt = 0; ; attempt++) {
    const live = await OpenLogFile.open(logPath);
    const after = (await listLogFiles(logPath)).rotated;
    if (sameNames(before, after) || attempt >= 4) return { rotated: after, live };
    await live?.close();
    before = after;
  }
}
