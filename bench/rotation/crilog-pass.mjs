/**
 * One crilog rotation pass over a workload copy, in its own process so it is measured exactly like
 * logrotate and gzip (wall, CPU and peak RSS of the whole process). Prints one JSON object.
 *
 * Usage: node crilog-pass.mjs <workload-root> [workers] [gzip-level]
 * CRILOG_BENCH_DIST=/path/to/dist/index.js measures another build (an A/B test of a change to src/).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { benchRuntime } from '../lib/bench-runtime.mjs';

const dist = process.env.CRILOG_BENCH_DIST
  ? pathToFileURL(path.resolve(process.env.CRILOG_BENCH_DIST)).href
  : '../../dist/index.js';
const { ContainerLogManager } = await import(dist);
const [root, workersArg, levelArg] = process.argv.slice(2);
if (!root) throw new Error('usage: node crilog-pass.mjs <workload-root> [workers] [gzip-level]');
const manifest = JSON.parse(await readFile(path.join(root, 'workload.json'), 'utf8'));
const runtime = benchRuntime(
  manifest.containers.map((c) => ({ id: c.id, logPath: path.join(root, c.logPath) })),
);
const workers = Number(workersArg ?? 2);
const manager = new ContainerLogManager({
  runtime,
  maxSize: '10Mi',
  maxFiles: 5,
  workers,
  compressionLevel: Number(levelArg ?? 6),
});
const compressions = [];
manager.on('compression', (e) =>
  compressions.push({
    path: e.path,
    outcome: e.outcome,
    bytesIn: e.bytesIn,
    bytesOut: e.bytesOut,
    durationMs: e.durationMs,
    endMs: performance.now() - started,
    error: e.error?.message,
  }),
);

const started = performance.now();
const report = await manager.rotateOnce();
const passMs = performance.now() - started;

const failed = report.containers
  .filter((c) => c.action === 'failed')
  .map((c) => `${c.id}: ${c.error?.message}`);
const usage = process.resourceUsage();
process.stdout.write(
  JSON.stringify({
    passMs,
    workers,
    rotated: report.containers.filter((c) => c.action === 'rotated').length,
    reopens: runtime.reopens,
    compressed: compressions.filter((c) => c.outcome === 'success').length,
    bytesIn: compressions.reduce((n, c) => n + c.bytesIn, 0),
    bytesOut: compressions.reduce((n, c) => n + c.bytesOut, 0),
    compressionMs: compressions.map((c) => Math.round(c.durationMs)),
    // [start, end] of each compression from the start of the pass: gaps and a lone tail show idle cores.
    timeline: compressions.map((c) => [Math.round(c.endMs - c.durationMs), Math.round(c.endMs)]),
    errors: [
      ...failed,
      ...compressions.filter((c) => c.outcome === 'error').map((c) => `${c.path}: ${c.error}`),
      ...(report.error ? [report.error.message] : []),
    ],
    self: { userMs: usage.userCPUTime / 1000, sysMs: usage.systemCPUTime / 1000, maxRssKiB: usage.maxRSS },
    threadsCpuMs: await threadCpu(),
  }) + '\n',
);

/**
 * CPU per kind of thread (main JS thread, libuv pool that runs zlib and fs, V8 helpers), from
 * /proc: shows where the time goes without a profiler. Empty off Linux.
 */
async function threadCpu() {
  /** @type {Record<string, number>} */
  const byName = {};
  try {
    for (const tid of await readdir('/proc/self/task')) {
      const stat = await readFile(`/proc/self/task/${tid}/stat`, 'utf8');
      const name =
        tid === String(process.pid)
          ? 'main'
          : stat
              .slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
              .replace(/[0-9]+$/, '')
              .trim();
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime + stime, in clock ticks of 10 ms.
      byName[name] = (byName[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10;
    }
  } catch {
    // Not Linux.
  }
  return byName;
}
