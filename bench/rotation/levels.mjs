/**
 * What a gzip level costs on each engine: output bytes and single-core CPU of zlib levels 1-9 (as
 * crilog's zlib engine compresses: 1 MiB chunks, each with the previous 32 KiB as dictionary and a sync
 * flush), GNU `gzip -1`..`-9`, and libdeflate levels 1-12 (through crilog's binding, one gzip member per
 * 1 MiB chunk, as its libdeflate engine does), on three kinds of log text. From it, the table behind
 * `libdeflateLevel()` in src/codecs/gzip-levels.ts: for each gzip level N, the cheapest libdeflate
 * level whose output is no larger than `gzip -N`'s on every data set (and never above N). See
 * README.md, "Gzip levels".
 *
 * Usage: node bench/rotation/levels.mjs [--runs N] [--json]
 * Needs the libdeflate binding built (`npm ci` with libdeflate-dev installed) and `/usr/bin/time`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { Buffer } from 'node:buffer';
import { ensureWorkload } from '../workload/generate.mjs';
import { jsonLines } from './json-lines.mjs';

const MiB = 1024 * 1024;
const CHUNK = MiB;
const WINDOW = 32 * 1024;
const here = path.dirname(fileURLToPath(import.meta.url));
const binding = path.join(here, '../../native/libdeflate/build/Release/crilog_deflate.node');

const args = process.argv.slice(2);
const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 1;
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs needs a positive integer');
const asJson = args.includes('--json');

/**
 * The data sets, 64 MiB each. W1: 8 containers' raw rotated files of 8 MiB (all five personalities, as
 * W1's 32 files cycle through them); W2: 4 of 16 MiB (W2's four personalities); JSON: jsonLines().
 * @returns {Promise<{ name: string, files: Buffer[] }[]>}
 */
async function dataSets() {
  const sample = async (name, containers, fileBytes) => {
    const { dir, manifest } = await ensureWorkload({
      name,
      containers,
      fileBytes,
      seed: `crilog-bench/${name}`,
    });
    return {
      name,
      files: await Promise.all(manifest.containers.map((c) => readFile(path.join(dir, c.rotatedPath)))),
    };
  };
  return [
    await sample('W1', 8, 8 * MiB),
    await sample('W2', 4, 16 * MiB),
    { name: 'JSON', files: [0, 1, 2, 3].map((i) => jsonLines(`crilog-levels/json/${i}`, 16 * MiB)) },
  ];
}

/** crilog's zlib engine (worker-main.ts, gzipSession): bytes of one file, header and trailer included. */
function zlibEngine(file, level) {
  let bytes = 10 + 8;
  let tail;
  for (let at = 0; at < file.length; at += CHUNK) {
    const chunk = file.subarray(at, at + CHUNK);
    bytes += zlib.deflateRawSync(chunk, {
      level,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      chunkSize: MiB,
      ...(tail ? { dictionary: tail } : {}),
    }).length;
    zlib.crc32(chunk);
    tail = chunk.subarray(chunk.length - WINDOW);
  }
  return bytes + zlib.deflateRawSync(Buffer.alloc(0), { level }).length;
}

/** crilog's libdeflate engine (libdeflateSession): one member per chunk, plus the 37-byte size member. */
function libdeflateEngine(lib) {
  const out = new Uint8Array(CHUNK + 64 * 1024);
  const compressors = new Map();
  return (file, level) => {
    if (!compressors.has(level)) compressors.set(level, lib.createCompressor(level));
    const c = compressors.get(level);
    let bytes = 37;
    for (let at = 0; at < file.length; at += CHUNK)
      bytes += lib.gzipCompress(c, file.subarray(at, at + CHUNK), out);
    return bytes;
  };
}

/** CPU (user + sys, ms) of this process around `fn`; the compressions are synchronous on this thread. */
function timed(fn) {
  const before = process.cpuUsage();
  const bytes = fn();
  const { user, system } = process.cpuUsage(before);
  return { bytes, cpuMs: (user + system) / 1000 };
}

/** GNU gzip on every file, each a child process timed by GNU time (its own CPU only). */
function gnuGzip(files, level, scratch) {
  let bytes = 0;
  let cpuMs = 0;
  for (const file of files) {
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S', 'gzip', `-${level}`, '-c'], {
      input: file,
      maxBuffer: 2 * file.length + MiB,
      cwd: scratch,
    });
    if (r.status !== 0) throw new Error(`gzip -${level} failed: ${r.stderr}`);
    const [u, s] = String(r.stderr).trim().split('\n').pop().split(' ').map(Number);
    bytes += r.stdout.length;
    cpuMs += (u + s) * 1000;
  }
  return { bytes, cpuMs };
}

/** Lowest-CPU of `runs` measurements (bytes are the same every time). */
function best(measure) {
  let result;
  for (let i = 0; i < runs; i++) {
    const r = measure();
    if (!result || r.cpuMs < result.cpuMs) result = r;
  }
  return result;
}

if (!existsSync(binding))
  throw new Error(`libdeflate binding not built (${binding}); install libdeflate-dev and run npm ci`);
const lib = createRequire(import.meta.url)(binding);
const deflate = libdeflateEngine(lib);
const sets = await dataSets();
const results = [];
for (const { name, files } of sets) {
  const input = files.reduce((n, f) => n + f.length, 0);
  const row = { name, inputBytes: input, zlib: {}, gzip: {}, libdeflate: {} };
  for (let level = 1; level <= 9; level++) {
    row.zlib[level] = best(() => timed(() => files.reduce((n, f) => n + zlibEngine(f, level), 0)));
    row.gzip[level] = best(() => gnuGzip(files, level, here));
    process.stderr.write(
      `${name} zlib/gzip -${level}: ${row.zlib[level].bytes} / ${row.gzip[level].bytes}\n`,
    );
  }
  for (let level = 1; level <= 12; level++) {
    row.libdeflate[level] = best(() => timed(() => files.reduce((n, f) => n + deflate(f, level), 0)));
    process.stderr.write(`${name} libdeflate ${level}: ${row.libdeflate[level].bytes}\n`);
  }
  results.push(row);
}

/**
 * For gzip level N: the lowest libdeflate level whose output is no larger than `reference`'s level N on
 * every set, never above N. The table in the code is held to GNU gzip (`gzip -N`, the yardstick of
 * issue 18 and of logrotate); against Node's zlib, whose bundled fork compresses logs 2-7 % smaller than
 * gzip at every level, libdeflate saves no level (shown for the record).
 * @param {'gzip' | 'zlib'} reference
 */
function derive(reference) {
  /** @type {Record<number, number>} */
  const table = {};
  for (let n = 1; n <= 9; n++) {
    let l = 1;
    while (l < n && results.some((r) => r.libdeflate[l].bytes > r[reference][n].bytes)) l++;
    table[n] = l;
  }
  return table;
}
const derived = derive('gzip');
const derivedVsNodeZlib = derive('zlib');

let inCode = null;
const dist = path.join(here, '../../dist/codecs/gzip-levels.js');
if (existsSync(dist)) {
  const { LIBDEFLATE_LEVELS } = await import(pathToFileURL(dist).href);
  inCode = LIBDEFLATE_LEVELS;
}

if (asJson) {
  process.stdout.write(
    JSON.stringify(
      { runs, libdeflate: lib.libdeflateVersion, results, derived, derivedVsNodeZlib, inCode },
      null,
      2,
    ) + '\n',
  );
} else {
  const ratio = (a, b) => (a / b).toFixed(3);
  for (const r of results) {
    const base = r.gzip[6];
    console.log(
      `\n${r.name}: ${(r.inputBytes / MiB).toFixed(0)} MiB; bytes and CPU relative to gzip -6 (${base.bytes} B, ${base.cpuMs.toFixed(0)} ms)\n`,
    );
    console.log(
      '| level | zlib bytes | zlib CPU | gzip bytes | gzip CPU | libdeflate bytes | libdeflate CPU |',
    );
    console.log(
      '| ----: | ---------: | -------: | ---------: | -------: | ---------------: | -------------: |',
    );
    for (let l = 1; l <= 12; l++) {
      const cell = (m) => (m ? `${ratio(m.bytes, base.bytes)} | ${ratio(m.cpuMs, base.cpuMs)}` : ' | ');
      console.log(`| ${l} | ${cell(r.zlib[l])} | ${cell(r.gzip[l])} | ${cell(r.libdeflate[l])} |`);
    }
  }
  console.log(`\nlibdeflate ${lib.libdeflateVersion}; gzip level: libdeflate level`);
  console.log(`derived against gzip -N: ${JSON.stringify(derived)}`);
  console.log(`derived against Node's zlib at N: ${JSON.stringify(derivedVsNodeZlib)}`);
  if (inCode) console.log(`table in dist/codecs/gzip-levels.js: ${JSON.stringify(inCode)}`);
}
