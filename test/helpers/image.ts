import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** The image scripts/image.sh built. */
export interface BuiltImage {
  archive: string;
  ref: string;
  uncompressedBytes: number;
  compressedLayerBytes: number;
}

/** Builds (or reuses) the image with scripts/image.sh. Slow the first time: tsc, npm, the addon. */
export async function buildImage(): Promise<BuiltImage> {
  const { stdout } = await run('bash', [path.join(REPO, 'scripts/image.sh')], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const archive = stdout.trim().split('\n').pop()!;
  const info = JSON.parse(await fsp.readFile(`${archive}.json`, 'utf8'));
  return {
    archive,
    ref: info.ref,
    uncompressedBytes: info.uncompressedBytes,
    compressedLayerBytes: info.compressedLayerBytes,
  };
}
