/**
 * Checks that a contender did the whole steady-state pass (so no one wins by skipping work) and sums
 * what it left on disk.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * @param {string} root workload copy after the run
 * @param {import('../workload/generate.mjs').Manifest} manifest
 * @param {{ rotatesLive: boolean }} expect gzip alone leaves the live logs alone
 * @returns {Promise<{ gzBytes: number, gzBlocksBytes: number, gzFiles: number }>}
 */
export async function verifyPass(root, manifest, { rotatesLive }) {
  let gzBytes = 0;
  let gzBlocksBytes = 0;
  let gzFiles = 0;
  const size = manifest.spec.fileBytes;
  for (const c of manifest.containers) {
    const dir = path.join(root, path.dirname(c.logPath));
    const names = (await readdir(dir)).sort();
    const live = path.basename(c.logPath);
    const oldRaw = path.basename(c.rotatedPath);
    const problem = (/** @type {string} */ what) =>
      new Error(`container ${c.id.slice(0, 4)} in "${dir}": ${what}; files: ${names.join(', ')}`);
    if (names.includes(oldRaw)) throw problem(`the old raw rotation "${oldRaw}" was not compressed`);
    if (!names.includes(`${oldRaw}.gz`)) throw problem(`"${oldRaw}.gz" is missing`);
    const gz = await stat(path.join(dir, `${oldRaw}.gz`));
    gzBytes += gz.size;
    gzBlocksBytes += gz.blocks * 512;
    gzFiles++;
    const liveSize = (await stat(path.join(dir, live))).size;
    const others = names.filter((n) => n !== live && n !== `${oldRaw}.gz`);
    if (rotatesLive) {
      if (liveSize !== 0) throw problem(`the live log still holds ${liveSize} bytes`);
      if (others.length !== 1) throw problem('expected exactly one new raw rotation');
      const rotated = await stat(path.join(dir, /** @type {string} */ (others[0])));
      if (rotated.size !== size)
        throw problem(`the new rotation holds ${rotated.size} bytes, expected ${size}`);
    } else if (liveSize !== size || others.length !== 0) {
      throw problem('the live log was changed');
    }
  }
  return { gzBytes, gzBlocksBytes, gzFiles };
}
