/**
 * Entry point of `npm run bench` (after `npm run build`): runs every `bench/<name>/run.mjs`, one at a
 * time so they never compete for the CPU, collects their JSON into bench/results/latest.json and
 * regenerates docs/benchmarks.md and docs/benchmarks.svg.
 *
 * Env: BENCH_QUICK=1 small sizes (a smoke test); BENCH_ONLY=name[,name] run only those (results of the
 * others are kept from the previous latest.json); BENCH_TIMEOUT_MIN per-benchmark limit (default 90).
 * `node bench/run.js --render` only regenerates the docs from latest.json.
 * Contract of a benchmark: see bench/README.md.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import console from 'node:console';
import { fileURLToPath } from 'node:url';
import { machineInfo } from './lib/machine.mjs';
import { renderMarkdown } from './lib/report-md.mjs';
import { rotationChart } from './lib/rotation-report.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(BENCH_DIR);
const LATEST = path.join(BENCH_DIR, 'results', 'latest.json');
const DOC = path.join(REPO, 'docs', 'benchmarks.md');
const CHART = path.join(REPO, 'docs', 'benchmarks.svg');
const ORDER = ['rotation', 'reader', 'overshoot', 'idle'];

const renderOnly = process.argv.includes('--render');
const quick = process.env.BENCH_QUICK === '1';
const only = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const timeoutMin = Number(process.env.BENCH_TIMEOUT_MIN ?? 90);

const previous = await readJson(LATEST);
let latest;
let failed = 0;
if (renderOnly) {
  if (!previous) {
    console.error(`nothing to render: "${LATEST}" does not exist or is not JSON; run "npm run bench" first`);
    process.exit(2);
  }
  latest = previous;
} else {
  const available = await discover();
  const unknown = only.filter((n) => !available.includes(n));
  if (unknown.length) {
    console.error(
      `BENCH_ONLY names unknown benchmark(s) ${unknown.join(', ')}; available: ${available.join(', ') || 'none'}`,
    );
    process.exit(2);
  }
  const selected = only.length ? only : available;
  const generatedAt = new Date().toISOString();
  const machine = machineInfo();
  /** @type {Record<string, unknown>} */
  const benchmarks = {};
  // A partial run keeps the other results, each still saying when it ran.
  if (only.length && previous?.benchmarks) {
    for (const [name, r] of Object.entries(previous.benchmarks))
      if (!selected.includes(name))
        benchmarks[name] = {
          ...r,
          ranAt: r?.ranAt ?? previous.generatedAt,
          // Older results carry the load of their whole run only.
          loadAverage:
            r?.loadAverage ??
            (previous.machine?.loadAverage && previous.machine?.loadAverageAfter
              ? { before: previous.machine.loadAverage, after: previous.machine.loadAverageAfter }
              : undefined),
        };
  }
  for (const name of selected) {
    console.error(`\n=== bench ${name}${quick ? ' (quick)' : ''} ===`);
    const started = Date.now();
    const loadBefore = loadAverage();
    const result = await runBenchmark(name);
    if (result.error) failed++;
    benchmarks[name] = {
      ...result,
      ranAt: generatedAt,
      durationS: Math.round((Date.now() - started) / 100) / 10,
      loadAverage: { before: loadBefore, after: loadAverage() },
    };
    console.error(
      `=== bench ${name}: ${result.error ? `FAILED: ${result.error}` : 'done'} in ${((Date.now() - started) / 1000).toFixed(1)} s ===`,
    );
  }
  machine.loadAverageAfter = os.loadavg().map((l) => Math.round(l * 100) / 100);
  latest = { generatedAt, quick, machine, benchmarks };
  await mkdir(path.dirname(LATEST), { recursive: true });
  await writeFile(LATEST, await pretty(JSON.stringify(latest, null, 2) + '\n', LATEST));
}

const rotation = latest.benchmarks?.rotation;
const hasChart = Array.isArray(rotation?.workloads) && rotation.workloads.length > 0;
await mkdir(path.dirname(DOC), { recursive: true });
if (hasChart) await writeFile(CHART, rotationChart(rotation));
await writeFile(
  DOC,
  await pretty(renderMarkdown(latest, { chartFile: hasChart ? path.basename(CHART) : null }), DOC),
);
console.error(
  `\nwrote ${renderOnly ? '' : `${path.relative(REPO, LATEST)}, `}${path.relative(REPO, DOC)}${hasChart ? `, ${path.relative(REPO, CHART)}` : ''}`,
);
if (failed) process.exitCode = 1;

/**
 * Formats generated files the way `npm run format` would, so `format:check` stays green after a
 * benchmark run. Without prettier (a production install) the text is written as is.
 * @param {string} text
 * @param {string} file decides the parser and the options that apply
 */
async function pretty(text, file) {
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(text, { ...options, filepath: file });
  } catch {
    return text;
  }
}

/** The 1, 5 and 15 minute load averages, rounded: how busy the machine was around a benchmark. */
function loadAverage() {
  return os.loadavg().map((l) => Math.round(l * 100) / 100);
}

/** Benchmark folders that have a run.mjs, the known ones first. */
async function discover() {
  const entries = await readdir(BENCH_DIR, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory() && existsSync(path.join(BENCH_DIR, e.name, 'run.mjs')))
    .map((e) => e.name);
  const rank = (/** @type {string} */ n) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/**
 * Runs one benchmark in its own process; its progress goes to our stderr, its result comes back
 * through BENCH_RESULT_FILE or, failing that, as JSON on its stdout.
 * @param {string} name
 * @returns {Promise<Record<string, unknown>>}
 */
async function runBenchmark(name) {
  const tmp = await mkdtemp(path.join(os.tmpdir(), `crilog-bench-${name}-`));
  const resultFile = path.join(tmp, 'result.json');
  try {
    const { code, signal, stdout } = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(BENCH_DIR, name, 'run.mjs')], {
        cwd: REPO,
        env: { ...process.env, BENCH_QUICK: quick ? '1' : '0', BENCH_RESULT_FILE: resultFile },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMin * 60_000);
      child.once('error', reject);
      child.once('close', (c, s) => {
        clearTimeout(timer);
        resolve({ code: c, signal: s, stdout: out });
      });
    });
    const parsed = (await readJson(resultFile)) ?? parseStdout(stdout);
    if (code !== 0)
      return {
        name,
        error: `run.mjs exited with ${code ?? signal}${signal === 'SIGKILL' ? ` (timeout ${timeoutMin} min?)` : ''}`,
        partial: parsed ?? undefined,
        stdoutTail: stdout.slice(-2000),
      };
    if (!parsed || typeof parsed !== 'object')
      return {
        name,
        error: 'run.mjs printed no JSON result (write it to BENCH_RESULT_FILE or as the last stdout line)',
        stdoutTail: stdout.slice(-2000),
      };
    return Array.isArray(parsed) ? { name, results: parsed } : { name, ...parsed };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The whole stdout as JSON, else its last line that parses. */
function parseStdout(stdout) {
  const text = stdout.trim();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    for (const line of text.split('\n').reverse()) {
      try {
        const v = JSON.parse(line);
        if (v && typeof v === 'object') return v;
      } catch {
        // not this line
      }
    }
    return null;
  }
}

async function readJson(file) {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return null;
  }
}
