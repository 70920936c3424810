/**
 * The standard workloads, generated once into a cache under os.tmpdir() and copied fresh for every
 * measured run. Layout of a workload directory, as the kubelet lays out pod logs:
 *
 *   <root>/pods/<ns>_<pod>_<uid>/<container>/0.log                  live log, `fileBytes`
 *   <root>/pods/<ns>_<pod>_<uid>/<container>/0.log.20240501-000000  raw rotated file, `fileBytes`
 *   <root>/workload.json                                            the manifest
 *
 * CLI: `node bench/workload/generate.mjs [W1|W2] [--quick] [--print N]`.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import console from 'node:console';
import { fileURLToPath, URL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Prng } from './prng.mjs';
import { LineSource, PERSONALITIES } from './lines.mjs';

/** Bump when the bytes a seed produces change, so stale caches are never reused. */
export const GENERATOR_VERSION = 2;
const MiB = 1024 * 1024;
/** Name of the raw rotated file every container starts with (older than any name a run creates). */
export const ROTATED_SUFFIX = '.20240501-000000';
const START_SEC = Date.UTC(2024, 4, 1) / 1000;

/**
 * @typedef {object} WorkloadSpec
 * @property {string} name
 * @property {number} containers
 * @property {number} fileBytes size of the live log and of the raw rotated file, each
 * @property {string} seed
 */

/** Full-size workloads from the issue; quick ones keep the shape (the live log still exceeds 10Mi). */
export const WORKLOADS = {
  W1: { full: { containers: 32, fileBytes: 16 * MiB }, quick: { containers: 4, fileBytes: 11 * MiB } },
  W2: { full: { containers: 4, fileBytes: 128 * MiB }, quick: { containers: 2, fileBytes: 24 * MiB } },
};

/**
 * @param {string} name `W1` or `W2`
 * @param {boolean} quick
 * @returns {WorkloadSpec}
 */
export function workloadSpec(name, quick) {
  const sizes = WORKLOADS[/** @type {keyof typeof WORKLOADS} */ (name)];
  if (!sizes) throw new Error(`unknown workload "${name}"; use one of ${Object.keys(WORKLOADS).join(', ')}`);
  return { name, ...(quick ? sizes.quick : sizes.full), seed: `crilog-bench/${name}` };
}

/**
 * @typedef {object} ContainerEntry
 * @property {string} id container id
 * @property {string} logPath live log, relative to the workload root
 * @property {string} rotatedPath the pre-existing raw rotated file, relative to the root
 * @property {string} personality
 *
 * @typedef {object} Manifest
 * @property {number} version
 * @property {WorkloadSpec} spec
 * @property {ContainerEntry[]} containers
 * @property {number} rawRotatedBytes bytes one steady-state pass compresses
 * @property {number} totalBytes
 */

/**
 * @param {WorkloadSpec} spec
 * @returns {Manifest}
 */
export function planWorkload(spec) {
  const rng = new Prng(`${spec.seed}/layout`);
  const containers = [];
  for (let i = 0; i < spec.containers; i++) {
    const personality = /** @type {string} */ (PERSONALITIES[i % PERSONALITIES.length]);
    const pod = `${['shop', 'payments', 'default', 'monitoring'][i % 4]}_${personality}-${rng.hex(10)}-${rng.hex(5)}_${rng.hex(8)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}`;
    const logPath = path.join('pods', pod, `app${i}`, '0.log');
    containers.push({
      id: `c${String(i).padStart(3, '0')}${rng.hex(60)}`,
      logPath,
      rotatedPath: logPath + ROTATED_SUFFIX,
      personality,
    });
  }
  return {
    version: GENERATOR_VERSION,
    spec,
    containers,
    rawRotatedBytes: spec.containers * spec.fileBytes,
    totalBytes: 2 * spec.containers * spec.fileBytes,
  };
}

/** Root of the cache; `CRILOG_BENCH_CACHE` moves it (e.g. to a disk with more room). */
export function cacheRoot() {
  return process.env.CRILOG_BENCH_CACHE ?? path.join(os.tmpdir(), 'crilog-bench-cache');
}

/**
 * Returns the cached workload, generating it first if needed (in worker threads, one per core).
 * @param {WorkloadSpec} spec
 * @returns {Promise<{ dir: string, manifest: Manifest, generatedMs: number }>}
 */
export async function ensureWorkload(spec) {
  const dir = path.join(
    cacheRoot(),
    `${spec.name}-v${GENERATOR_VERSION}-${spec.containers}x${spec.fileBytes}`,
  );
  const manifestPath = path.join(dir, 'workload.json');
  try {
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    if (manifest.version === GENERATOR_VERSION) return { dir, manifest, generatedMs: 0 };
  } catch {
    // Not cached yet (or a partial cache from an interrupted run): generate below.
  }
  const started = performance.now();
  const manifest = planWorkload(spec);
  const staging = `${dir}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  /** @type {import('./write-file.mjs').FileSpec[]} */
  const files = [];
  for (const [i, c] of manifest.containers.entries()) {
    await mkdir(path.join(staging, path.dirname(c.logPath)), { recursive: true });
    const base = { bytes: spec.fileBytes, personality: c.personality };
    // The rotated file holds the older lines; the live log continues a few hours later.
    files.push({
      ...base,
      path: path.join(staging, c.rotatedPath),
      seed: `${spec.seed}/${i}/rotated`,
      startSec: START_SEC,
    });
    files.push({
      ...base,
      path: path.join(staging, c.logPath),
      seed: `${spec.seed}/${i}/live`,
      startSec: START_SEC + 6 * 3600,
    });
  }
  const threads = Math.max(1, Math.min(os.availableParallelism(), files.length));
  await Promise.all(
    Array.from({ length: threads }, (_, t) => runWorker(files.filter((_, i) => i % threads === t))),
  );
  await writeFile(path.join(staging, 'workload.json'), JSON.stringify(manifest, null, 2));
  await rm(dir, { recursive: true, force: true });
  await rename(staging, dir);
  return { dir, manifest, generatedMs: performance.now() - started };
}

/** @param {import('./write-file.mjs').FileSpec[]} files */
function runWorker(files) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./write-file.mjs', import.meta.url), {
      workerData: { kind: 'crilog-bench-write', files },
    });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) =>
      code === 0 ? resolve(undefined) : reject(new Error(`workload writer exited with code ${code}`)),
    );
  });
}

/**
 * Copies a cached workload to `dest` (which must not exist) and flushes it to disk, so the copy's
 * writeback does not run during the measurement that follows.
 * @param {string} cached
 * @param {string} dest
 */
export async function freshCopy(cached, dest) {
  try {
    await run('cp', ['-a', '--reflink=auto', cached, dest]);
  } catch {
    await rm(dest, { recursive: true, force: true });
    await cp(cached, dest, { recursive: true, preserveTimestamps: true });
  }
  await run('sync', []).catch(() => {});
}

/**
 * @param {string} cmd
 * @param {string[]} args
 */
function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(undefined)
        : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${stderr.trim()}`)),
    );
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const printAt = args.indexOf('--print');
  if (printAt >= 0) {
    const n = Number(args[printAt + 1] ?? 5);
    for (const p of PERSONALITIES) {
      const src = new LineSource(new Prng(`sample/${p}`), p, START_SEC);
      for (let i = 0; i < n; i++) process.stdout.write(src.next());
    }
  } else {
    const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1';
    const names = args.filter((a) => !a.startsWith('--'));
    for (const name of names.length ? names : Object.keys(WORKLOADS)) {
      const { dir, manifest, generatedMs } = await ensureWorkload(workloadSpec(name, quick));
      console.log(
        `${name}: ${manifest.containers.length} containers, ${manifest.totalBytes} bytes in ${dir}${generatedMs ? ` (generated in ${(generatedMs / 1000).toFixed(1)} s)` : ' (cached)'}`,
      );
    }
  }
}
