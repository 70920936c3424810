/**
 * Writes one deterministic CRI log file of an exact size. Runs in the main thread or, for big
 * workloads, in a worker thread (see `generate.mjs`): the same seed always yields the same bytes.
 */
import { open } from 'node:fs/promises';
import { Buffer } from 'node:buffer';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Prng } from './prng.mjs';
import { LineSource, MAX_LINE, MIN_FILL } from './lines.mjs';

const CHUNK = 1 << 20;

/**
 * @typedef {object} FileSpec
 * @property {string} path where to write (created or truncated)
 * @property {number} bytes exact size of the file
 * @property {string} seed PRNG seed
 * @property {string} personality see PERSONALITIES in lines.mjs
 * @property {number} startSec Unix seconds of the first line
 */

/**
 * Writes `spec.path` with whole lines only, ending exactly at `spec.bytes`.
 * @param {FileSpec} spec
 * @returns {Promise<number>} the number of lines written
 */
export async function writeLogFile(spec) {
  if (!Number.isSafeInteger(spec.bytes) || spec.bytes < MIN_FILL)
    throw new Error(
      `file size ${spec.bytes} for "${spec.path}" must be an integer of at least ${MIN_FILL} bytes`,
    );
  const source = new LineSource(new Prng(spec.seed), spec.personality, spec.startSec);
  const handle = await open(spec.path, 'w', 0o644);
  let lines = 0;
  try {
    let remaining = spec.bytes;
    let parts = [];
    let partsLen = 0;
    const flush = async () => {
      if (partsLen === 0) return;
      await handle.write(Buffer.from(parts.join(''), 'latin1'));
      parts = [];
      partsLen = 0;
    };
    const push = async (/** @type {string} */ line) => {
      parts.push(line);
      partsLen += line.length;
      remaining -= line.length;
      lines++;
      if (partsLen >= CHUNK) await flush();
    };
    // Stop the natural lines early enough that the tail can always be made of 1-2 fill lines.
    while (remaining > MAX_LINE + MIN_FILL) await push(source.next());
    if (remaining > MAX_LINE) {
      const half = Math.floor(remaining / 2);
      await push(source.fill(half));
    }
    await push(source.fill(remaining));
    await flush();
  } finally {
    await handle.close();
  }
  return lines;
}

// As a worker: write every file it is given, report line counts back.
if (!isMainThread && workerData?.kind === 'crilog-bench-write') {
  const counts = [];
  for (const spec of /** @type {FileSpec[]} */ (workerData.files)) counts.push(await writeLogFile(spec));
  parentPort?.postMessage(counts);
}
