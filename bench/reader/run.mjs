/**
 * Reader benchmark (issue 5): on a generated history (1 GiB by default), full read throughput of
 * crilog's reader against `zcat -f <files> | cat`, and the latency of `tail 100` and `since 1m`.
 * See README.md. Run after `npm run build`.
 *
 * Env: READER_BENCH_BYTES (history size, default 1Gi; BENCH_QUICK=1 makes it 64Mi), READER_BENCH_FILE_BYTES
 * (size of each rotated file, default 64Mi, 8Mi quick), READER_BENCH_RUNS (repeats, default 3; 1 quick),
 * READER_BENCH_DIR (reuse or keep the history there instead of a temp dir that is removed),
 * BENCH_RESULT_FILE (else the JSON result is the last stdout line).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import console from 'node:console';
import { Writable } from 'node:stream';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { measure } from '../lib/measure.mjs';
import { median, ratio } from '../lib/stats.mjs';
import { generateHistory } from './generate-history.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const quick = process.env.BENCH_QUICK === '1';
const totalBytes = size(process.env.READER_BENCH_BYTES, quick ? 64 * 2 ** 20 : 2 ** 30);
const fileBytes = size(process.env.READER_BENCH_FILE_BYTES, quick ? 8 * 2 ** 20 : 64 * 2 ** 20);
const runs = Number(process.env.READER_BENCH_RUNS ?? (quick ? 1 : 3));
const log = (/** @type {string} */ msg) => console.error(`[reader] ${msg}`);

/** `readLogs` from the build: the package entry once it re-exports the reader, else the reader module. */
async function loadReader() {
  const main = await import(pathToFileURL(path.join(REPO, 'dist/index.js')).href).catch(() => ({}));
  if (typeof main.readLogs === 'function') return main.readLogs;
  const reader = await import(pathToFileURL(path.join(REPO, 'dist/reader/index.js')).href);
  return reader.readLogs;
}

/** @param {string | undefined} text e.g. `256Mi`, `1Gi`, `1000000` */
function size(text, fallback) {
  if (!text) return fallback;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi)?$/.exec(text.trim());
  if (!m)
    throw new Error(`size "${text}" is not understood: use bytes or a number with Ki, Mi or Gi (e.g. 256Mi)`);
  return Math.round(Number(m[1]) * { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, '': 1 }[m[2] ?? '']);
}

function discard() {
  let bytes = 0;
  const stream = new Writable({
    write(chunk, _enc, cb) {
      bytes += chunk.length;
      cb();
    },
  });
  return { stream, bytes: () => bytes };
}

const readLogs = await loadReader();
const keepDir = process.env.READER_BENCH_DIR;
const dir = keepDir ?? (await mkdtemp(path.join(os.tmpdir(), 'crilog-bench-reader-')));
try {
  let history;
  const manifestFile = path.join(dir, 'history.json');
  const cached = existsSync(manifestFile) ? JSON.parse(await readFile(manifestFile, 'utf8')) : null;
  let generateS = null;
  if (
    cached &&
    cached.rawBytes >= totalBytes * 0.99 &&
    cached.rawBytes <= totalBytes * 1.01 &&
    cached.fileBytes === fileBytes
  ) {
    history = cached;
    log(`reusing the history in ${dir}`);
  } else {
    const t0 = performance.now();
    history = { ...(await generateHistory(dir, { totalBytes, fileBytes })), fileBytes };
    await writeFile(manifestFile, JSON.stringify(history, null, 2));
    generateS = (performance.now() - t0) / 1000;
    log(
      `generated ${history.rawBytes} bytes in ${history.files.length} files (${history.lines} lines) in ${generateS.toFixed(1)} s`,
    );
  }
  const onDisk = await Promise.all(
    history.files.map(async (f) => (await import('node:fs/promises')).stat(f).then((s) => s.size)),
  );
  // `since` durations count back from the last line, not from whenever the benchmark runs.
  const clock = {
    now: () => new Date(history.endMs),
    setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
    clearTimeout: (h) => clearTimeout(h),
  };

  /** One in-process read; wall and CPU time of this process. */
  async function timedRead(options) {
    const out = discard();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const summary = await readLogs(history.logPath, { clock, ...options }, out.stream);
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (summary.warnings.length) throw new Error(`unexpected warnings: ${summary.warnings.join('; ')}`);
    return {
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      lines: summary.lines,
      bytesOut: out.bytes(),
      filesRead: summary.filesRead,
    };
  }

  const fullRuns = [];
  const zcatRuns = [];
  const cliRuns = [];
  const quoted = history.files.map((f) => `'${f.replaceAll("'", "'\\''")}'`).join(' ');
  const cli = path.join(REPO, 'dist/cli/main.js');
  const hasCli = existsSync(cli);
  for (let i = 0; i < runs; i++) {
    const lib = await timedRead({});
    if (lib.lines !== history.lines)
      throw new Error(`full read gave ${lib.lines} lines, the history has ${history.lines}`);
    fullRuns.push(lib);
    const z = await measure('sh', ['-c', `zcat -f ${quoted} | cat > /dev/null`]);
    zcatRuns.push(z);
    log(
      `full read ${i + 1}/${runs}: crilog library ${(lib.wallMs / 1000).toFixed(2)} s, zcat | cat ${(z.wallMs / 1000).toFixed(2)} s`,
    );
    if (hasCli) {
      const c = await measure('sh', [
        '-c',
        `'${process.execPath}' '${cli}' logs --path '${history.logPath}' | cat > /dev/null`,
      ]);
      cliRuns.push(c);
      log(`full read ${i + 1}/${runs}: crilog logs CLI ${(c.wallMs / 1000).toFixed(2)} s`);
    }
  }

  // The CLI figure includes the process start; measured alone so it can be told apart.
  const startup = hasCli
    ? median(
        await Promise.all(
          [0, 1, 2].map(async () => (await measure(process.execPath, [cli, '--version'])).wallMs),
        ),
      )
    : null;

  const latency = {};
  for (const [name, options] of Object.entries({
    tail100: { tail: 100 },
    since1m: { since: '1m' },
    since10m: { since: '10m' },
    tail100Since1m: { tail: 100, since: '1m' },
  })) {
    const samples = [];
    for (let i = 0; i < Math.max(runs, 5); i++) samples.push(await timedRead(options));
    latency[name] = {
      medianMs: round(median(samples.map((s) => s.wallMs))),
      maxMs: round(Math.max(...samples.map((s) => s.wallMs))),
      lines: samples[0].lines,
      filesRead: samples[0].filesRead,
    };
    log(
      `${name}: median ${latency[name].medianMs} ms, ${latency[name].lines} lines, ${latency[name].filesRead} files opened`,
    );
  }

  const MiB = 2 ** 20;
  const libS = median(fullRuns.map((r) => r.wallMs)) / 1000;
  const zcatS = median(zcatRuns.map((r) => r.wallMs)) / 1000;
  const cliS = hasCli ? median(cliRuns.map((r) => r.wallMs)) / 1000 : null;
  const result = {
    title: 'Reader: full history read, tail and since',
    description:
      `A ${(history.rawBytes / MiB).toFixed(0)} MiB history (${history.files.length} files: gzipped rotations, the newest rotation raw, the live file; ` +
      `${(onDisk.reduce((a, b) => a + b, 0) / MiB).toFixed(0)} MiB on disk, ${history.lines} lines), read from the page cache. ` +
      'Throughput counts decompressed bytes per second of wall time; medians of the runs.',
    historyMiB: round(history.rawBytes / MiB),
    files: history.files.length,
    lines: history.lines,
    generateS: generateS === null ? null : round(generateS),
    runs,
    fullReadLibraryS: round(libS),
    fullReadLibraryMiBps: round(history.rawBytes / MiB / libS),
    fullReadLibraryCpuS: round(median(fullRuns.map((r) => r.cpuMs)) / 1000),
    fullReadCliS: cliS === null ? null : round(cliS),
    fullReadCliMiBps: cliS === null ? null : round(history.rawBytes / MiB / cliS),
    cliStartupS: startup === null ? null : round(startup / 1000),
    zcatCatS: round(zcatS),
    zcatCatMiBps: round(history.rawBytes / MiB / zcatS),
    libraryVsZcat: ratio(libS, zcatS),
    cliVsZcat: cliS === null ? null : ratio(cliS, zcatS),
    tail100Ms: latency.tail100.medianMs,
    since1mMs: latency.since1m.medianMs,
    latency,
  };
  result.markdown = readerMarkdown(result, {
    zcatCpuS: median(zcatRuns.map((r) => r.cpuMs)) / 1000,
    cliCpuS: hasCli ? median(cliRuns.map((r) => r.cpuMs)) / 1000 : null,
  });
  const json = JSON.stringify(result);
  if (process.env.BENCH_RESULT_FILE) await writeFile(process.env.BENCH_RESULT_FILE, json);
  console.log(json);
} finally {
  if (!keepDir) await rm(dir, { recursive: true, force: true });
}

/** The side-by-side table docs/benchmarks.md shows, with issue 14's target. */
function readerMarkdown(r, { zcatCpuS, cliCpuS }) {
  const f = (x, digits = 2) => (x == null ? 'n/a' : x.toFixed(digits));
  const rows = [
    [
      '`crilog logs --path <live log> \\| cat` (process start included)',
      r.fullReadCliS,
      cliCpuS,
      r.fullReadCliMiBps,
      r.cliVsZcat,
    ],
    ['`zcat -f <every file> \\| cat`', r.zcatCatS, zcatCpuS, r.zcatCatMiBps, 1],
    [
      '`readLogs()` in-process',
      r.fullReadLibraryS,
      r.fullReadLibraryCpuS,
      r.fullReadLibraryMiBps,
      r.libraryVsZcat,
    ],
  ];
  const met = r.cliVsZcat != null && r.cliVsZcat <= 1;
  return [
    r.description,
    '',
    '| full read | wall (s) | CPU (s) | MiB/s | wall / zcat |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      ([name, wall, cpu, mibps, x]) => `| ${name} | ${f(wall)} | ${f(cpu)} | ${f(mibps, 0)} | ${f(x, 3)}x |`,
    ),
    '',
    `Process start of the CLI alone: ${f(r.cliStartupS)} s. CPU counts every process of the pipeline (\`cat\` too) for the commands, this process's threads for \`readLogs()\`.`,
    '',
    `Target (issue 14): \`crilog logs | cat\` at least as fast as \`zcat | cat\` on the same files: **${met ? 'met' : 'not met'}** (${f(r.cliVsZcat, 3)}x).`,
    '',
    '| latency (in-process) | median (ms) | max (ms) | lines | files opened |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...Object.entries(r.latency).map(
      ([name, l]) => `| ${name} | ${f(l.medianMs, 1)} | ${f(l.maxMs, 1)} | ${l.lines} | ${l.filesRead} |`,
    ),
    '',
  ].join('\n');
}

function round(x) {
  return x == null ? null : Math.round(x * 1000) / 1000;
}
