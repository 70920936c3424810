/**
 * Rotation benchmark: one steady-state pass of crilog vs logrotate vs single-core gzip on identical
 * fresh copies of W1 and W2, N runs each, contenders interleaved so drift hits all of them alike.
 * See README.md. Env: BENCH_QUICK=1 (small sizes, 1 run), BENCH_RUNS=N, BENCH_WORKLOADS=W1,W2,
 * BENCH_RESULT_FILE=path (else the JSON is the last stdout line), BENCH_ROTATION_EXTRA=0 (W1 without the
 * extra contenders: crilog on zlib, crilog with 1 worker), CRILOG_BENCH_DIST_B=<other dist/index.js> (also
 * that build, as "crilog-b").
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import console from 'node:console';
import { ensureWorkload, freshCopy, workloadSpec } from '../workload/generate.mjs';
import { hasGnuTime } from '../lib/measure.mjs';
import { medians, ratio } from '../lib/stats.mjs';
import { crilog, gzip, logrotate } from './contenders.mjs';
import { verifyPass } from './verify.mjs';

const quick = process.env.BENCH_QUICK === '1';
const runs = Number(process.env.BENCH_RUNS ?? (quick ? 1 : 5));
const workloads = (process.env.BENCH_WORKLOADS ?? 'W1,W2').split(',').filter(Boolean);
const level = 6;
const workers = os.availableParallelism();
/** Issue 18's targets for W1: CPU and wall time relative to logrotate's, no bigger output than gzip's, and peak RSS. */
const TARGETS = { cpuRatioMax: 0.55, wallRatioMax: 0.35, bytesRatioMax: 1, maxRssMB: 160 };
/** The engine crilog's gzip uses here: libdeflate when its binding was built, else Node's zlib. */
const { CompressionPool } = await import('../../dist/index.js');
const engine = new CompressionPool().gzipEngine;

const log = (/** @type {string} */ msg) => console.error(`[rotation] ${msg}`);
if (engine !== 'libdeflate')
  log(
    'warning: the libdeflate binding is not built, so crilog compresses on zlib here ' +
      '(install libdeflate-dev and run `node native/libdeflate/build.mjs`)',
  );

/** @type {import('./contenders.mjs').Contender[]} */
const baseContenders = [
  crilog({ workers, level, label: `crilog (${workers} workers, ${engine})` }),
  logrotate({ level }),
  gzip({ level }),
];
// On W1 (unless BENCH_ROTATION_EXTRA=0): the zlib fallback, and one worker (the memory of a worker).
/** @type {import('./contenders.mjs').Contender[]} */
const extras = [];
if (process.env.BENCH_ROTATION_EXTRA !== '0') {
  if (engine === 'libdeflate')
    extras.push(
      crilog({
        workers,
        level,
        name: 'crilog-zlib',
        label: `crilog (${workers} workers, zlib)`,
        env: { CRILOG_GZIP_ENGINE: 'zlib' },
      }),
    );
  if (workers !== 1) extras.push(crilog({ workers: 1, level, label: `crilog (1 worker, ${engine})` }));
}
// An A/B test of a change to src/: build it elsewhere and point CRILOG_BENCH_DIST_B at its dist/index.js.
if (process.env.CRILOG_BENCH_DIST_B) {
  baseContenders.push(
    crilog({
      workers,
      level,
      name: 'crilog-b',
      label: `crilog B (${workers} workers)`,
      env: { CRILOG_BENCH_DIST: process.env.CRILOG_BENCH_DIST_B },
    }),
  );
}

const results = [];
for (const name of workloads) {
  const spec = workloadSpec(name, quick);
  const contenders = name === 'W1' ? [...baseContenders, ...extras] : baseContenders;
  const { dir: cached, manifest, generatedMs } = await ensureWorkload(spec);
  if (generatedMs)
    log(`${name}: generated ${manifest.totalBytes} bytes in ${(generatedMs / 1000).toFixed(1)} s`);
  /** @type {Record<string, object[]>} */
  const samples = Object.fromEntries(contenders.map((c) => [c.name, []]));
  for (let i = 0; i < runs; i++) {
    // Rotate the order each run: whoever goes first never always gets the coolest CPU or emptiest cache.
    const order = contenders.map((_, k) => contenders[(k + i) % contenders.length]);
    for (const contender of /** @type {import('./contenders.mjs').Contender[]} */ (order)) {
      const scratch = await mkdtemp(path.join(os.tmpdir(), `crilog-bench-rotation-${contender.name}-`));
      try {
        const root = path.join(scratch, 'w');
        await freshCopy(cached, root);
        const load1 = Math.round(os.loadavg()[0] * 100) / 100;
        const { m, detail } = await contender.run(root, manifest, scratch);
        const disk = await verifyPass(root, manifest, { rotatesLive: contender.name !== 'gzip' });
        samples[contender.name]?.push({
          wallMs: m.wallMs,
          cpuMs: m.cpuMs,
          userMs: m.userMs,
          sysMs: m.sysMs,
          maxRssKiB: m.maxRssKiB,
          ...disk,
          ...(detail ? { passMs: detail.passMs, mainThreadCpuMs: detail.threadsCpuMs?.main ?? null } : {}),
          load1,
        });
        log(
          `${name} run ${i + 1}/${runs} ${contender.name}: wall ${(m.wallMs / 1000).toFixed(2)} s, cpu ${(m.cpuMs / 1000).toFixed(2)} s, rss ${m.maxRssKiB} KiB, gz ${disk.gzBytes}`,
        );
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    }
  }
  const summary = Object.fromEntries(
    contenders.map((c) => [
      c.name,
      { label: c.label, median: medians(samples[c.name] ?? []), runs: samples[c.name] },
    ]),
  );
  const med = (/** @type {string} */ c, /** @type {string} */ k) => summary[c]?.median[k] ?? null;
  const ratios = {
    crilogVsLogrotate: {
      wall: ratio(med('crilog', 'wallMs'), med('logrotate', 'wallMs')),
      cpu: ratio(med('crilog', 'cpuMs'), med('logrotate', 'cpuMs')),
      maxRss: ratio(med('crilog', 'maxRssKiB'), med('logrotate', 'maxRssKiB')),
    },
    crilogVsGzip: {
      wall: ratio(med('crilog', 'wallMs'), med('gzip', 'wallMs')),
      cpu: ratio(med('crilog', 'cpuMs'), med('gzip', 'cpuMs')),
      bytes: ratio(med('crilog', 'gzBytes'), med('gzip', 'gzBytes')),
    },
  };
  const wall = ratios.crilogVsLogrotate.wall;
  const cpu = ratios.crilogVsLogrotate.cpu;
  const bytes = ratios.crilogVsGzip.bytes;
  const rssMB = med('crilog', 'maxRssKiB') === null ? null : (med('crilog', 'maxRssKiB') * 1024) / 1e6;
  const oneWorkerMB =
    med('crilog-1worker', 'maxRssKiB') === null ? null : (med('crilog-1worker', 'maxRssKiB') * 1024) / 1e6;
  const round1 = (/** @type {number | null} */ x) => (x === null ? null : Math.round(x * 10) / 10);
  results.push({
    name,
    containers: manifest.containers.length,
    fileBytes: spec.fileBytes,
    rawRotatedBytes: manifest.rawRotatedBytes,
    contenders: summary,
    ratios,
    throughputMiBps: Object.fromEntries(
      contenders.map((c) => [
        c.name,
        med(c.name, 'wallMs')
          ? Math.round(
              (manifest.rawRotatedBytes / 1048576 / /** @type {number} */ (med(c.name, 'wallMs') / 1000)) *
                10,
            ) / 10
          : null,
      ]),
    ),
    target:
      name === 'W1'
        ? {
            ...TARGETS,
            engine,
            crilogRssMB: round1(rssMB),
            perExtraWorkerMB:
              rssMB !== null && oneWorkerMB !== null ? round1((rssMB - oneWorkerMB) / (workers - 1)) : null,
            cpuMet: cpu !== null && cpu <= TARGETS.cpuRatioMax,
            wallMet: wall !== null && wall <= TARGETS.wallRatioMax,
            bytesMet: bytes !== null && bytes <= TARGETS.bytesRatioMax,
            rssMet: rssMB !== null && rssMB <= TARGETS.maxRssMB,
          }
        : undefined,
  });
}

const output = {
  name: 'rotation',
  title: 'One rotation pass: crilog vs logrotate vs gzip',
  quick,
  runs,
  gzipLevel: level,
  workers,
  gzipEngine: engine,
  uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? null,
  tools: {
    logrotate: version('logrotate', ['--version']),
    gzip: version('gzip', ['--version']),
    gnuTime: hasGnuTime,
  },
  workloads: results,
};
const json = JSON.stringify(output, null, 2);
if (process.env.BENCH_RESULT_FILE) await writeFile(process.env.BENCH_RESULT_FILE, json + '\n');
else process.stdout.write(JSON.stringify(output) + '\n');

/**
 * @param {string} cmd
 * @param {string[]} args
 */
function version(cmd, args) {
  try {
    return (
      execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
        .split('\n')[0]
        ?.trim() ?? null
    );
  } catch {
    return null;
  }
}
