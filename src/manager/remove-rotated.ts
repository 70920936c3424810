import { errnoCode, type FileSystem } from '../ports/file-system.js';
import { CODEC_SUFFIX } from '../codecs/codec-names.js';
import { TMP_SUFFIX } from '../rotation/naming.js';

/**
 * Deletes rotated files together with every other form of the same rotation (raw, `.gz`, `.zst`):
 * a compression that finished just before it was cancelled must not leave a twin that outlives the
 * deletion and breaks the file-count bound. With `twins: false` only the named file goes (a raw
 * leftover whose complete compressed twin must stay). Missing files are fine. Returns what was removed.
 */
export async function removeRotated(
  fs: FileSystem,
  paths: readonly string[],
  { twins = true } = {},
): Promise<string[]> {
  const removed: string[] = [];
  for (const file of paths) {
    const forms = !twins || file.endsWith(TMP_SUFFIX) ? [file] : variants(file);
    for (const form of forms) {
      try {
        await fs.unlink(form);
        removed.push(form);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw new Error(`failed to remove "${form}"`, { cause: err });
      }
    }
  }
  return removed;
}

function variants(file: string): string[] {
  const suffix = Object.values(CODEC_SUFFIX).find((s) => file.endsWith(s));
  const raw = suffix ? file.slice(0, -suffix.length) : file;
  // The named file first, so the caller's own path is what a report lists first.
  return [...new Set([file, raw, ...Object.values(CODEC_SUFFIX).map((s) => raw + s)])];
}
