/**
 * Overshoot benchmark: how large does the live log of a fast writer get behind a 10 MiB limit?
 *
 * A writer process (writer.mjs) appends CRI lines at 50 MB/s; the crilog daemon (from dist/, in this
 * process) manages its log through a runtime whose reopen makes the writer switch files, as containerd
 * does. The writer counts the bytes it put into each file, so the largest count bounds the largest live
 * log exactly (bytes written between the rename and the reopen included, which is conservative).
 *
 * Modes: `watch` (the default trigger: directory watches), `watch-loaded` (the same while one busy-loop
 * process per CPU competes at normal priority: a node whose workloads use all its cores), `poll` (the
 * fallback when a directory cannot be watched: stats scheduled from the write rate), and `pass-only` (no
 * trigger, only the periodic pass every 10 s, as the kubelet does; full run only).
 *
 * Env: BENCH_QUICK=1 shorter runs; BENCH_RESULT_FILE where to write the JSON result.
 */
import { fork, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
// As the crilog binary does (src/cli/threadpool.ts); read by libuv at its first file system call.
import '../../dist/cli/threadpool.js';
import { resolveSettings } from '../../dist/settings/index.js';
import { Daemon } from '../../dist/daemon/daemon.js';
import { silentLogger } from '../../dist/ports/logger.js';

const quick = process.env.BENCH_QUICK === '1';
const WRITER = fileURLToPath(new URL('./writer.mjs', import.meta.url));
const MiB = 1024 * 1024;
const RATE = 50 * 1000 * 1000;
const LIMIT = 10 * MiB;
const log = (msg) => process.stderr.write(`[overshoot] ${msg}\n`);

/** A one-container runtime backed by the writer process. */
function writerRuntime(id, logPath) {
  const child = fork(WRITER, [logPath, String(RATE)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map();
  let seq = 0;
  let running = true;
  const notRunning = () =>
    Object.assign(new Error(`container "${id}" is not running`), { code: 'ERR_CONTAINER_NOT_RUNNING' });
  // A reopen the writer will never answer (it stopped or died) fails like one of a stopped container.
  const failPending = () => {
    for (const settle of waiting.values()) settle(notRunning());
  };
  const ready = new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      running = false;
      failPending();
      reject(new Error(`writer exited with ${code}`));
    });
    child.on('message', (m) => {
      if (m.type === 'ready') resolve();
      if (m.type === 'reopened') waiting.get(m.seq)?.();
    });
  });
  const notFound = (cid) =>
    Object.assign(new Error(`container "${cid}" not found`), { code: 'ERR_CONTAINER_NOT_FOUND' });
  return {
    ready,
    async listContainers() {
      return [{ id, state: running ? 'running' : 'exited', labels: {}, annotations: {} }];
    },
    async containerStatus(cid) {
      if (cid !== id) throw notFound(cid);
      return { id, state: running ? 'running' : 'exited', labels: {}, annotations: {}, logPath };
    },
    async reopenContainerLog(cid) {
      if (cid !== id) throw notFound(cid);
      if (!running) throw notRunning();
      const n = ++seq;
      try {
        await new Promise((resolve, reject) => {
          waiting.set(n, (err) => (err ? reject(err) : resolve()));
          child.send({ type: 'reopen', seq: n });
        });
      } finally {
        waiting.delete(n);
      }
    },
    async stop() {
      const reply = new Promise((resolve) => child.on('message', (m) => m.type === 'stopped' && resolve(m)));
      child.send({ type: 'stop' });
      const m = await reply;
      running = false;
      failPending();
      return m;
    },
    kill: () => child.kill('SIGKILL'),
  };
}

const quantile = (sorted, q) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** One busy-loop process per CPU at normal priority, standing in for workloads that use the whole node. */
function cpuHogs() {
  const n = os.availableParallelism();
  const hogs = Array.from({ length: n }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
  return { n, stop: () => hogs.forEach((h) => h.kill('SIGKILL')) };
}

/** Issue 18: the worst live file at most this many times maxSize, idle node, CPU-saturated or without inotify. */
const TARGET_RATIO = 1.5;

async function runMode(mode, seconds) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crilog-bench-overshoot-'));
  const logPath = path.join(dir, 'pods', 'ns_writer_uid', 'app', '0.log');
  await mkdir(path.dirname(logPath), { recursive: true });
  const runtime = writerRuntime('writer', logPath);
  const hogs = mode === 'watch-loaded' ? cpuHogs() : null;
  try {
    await runtime.ready;
    const config = resolveSettings({
      flags: {
        logRoots: [path.join(dir, 'pods')],
        lockFile: path.join(dir, 'crilog.lock'),
        maxSize: '10Mi',
        maxFiles: 5,
        metricsAddress: '127.0.0.1:0',
      },
    });
    const trigger =
      mode === 'pass-only'
        ? false
        : mode === 'poll'
          ? {
              watch: () => {
                throw Object.assign(new Error('watch disabled by the benchmark'), { code: 'ENOSYS' });
              },
            }
          : {};
    const daemon = new Daemon({
      config,
      logger: silentLogger,
      lock: false,
      trigger,
      runtimeFactories: {
        cri: async () => ({
          runtime,
          description: 'bench writer',
          probe: async () => 'bench',
          close: async () => {},
        }),
      },
    });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await daemon.start();
    let compressed = 0;
    daemon.manager?.on('compression', (e) => e.outcome === 'success' && compressed++);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const { written, generations } = await runtime.stop();
    hogs?.stop();
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const worstSeen = daemon.metrics.worstRatio;
    await daemon.stop();
    // The last file is still live (not rotated); it counts too, it is a live log.
    const sizes = [...generations].sort((a, b) => a - b);
    const rotated = generations.length - 1;
    const max = sizes.at(-1);
    return {
      mode,
      seconds: round(wallS, 1),
      writeMBps: round(written / wallS / 1e6, 1),
      limitMiB: LIMIT / MiB,
      rotations: rotated,
      // Compressions finished; under load the niced compression threads give way, and files trimmed
      // before their turn stay raw (the count and size bounds hold either way).
      compressed,
      cpuHogs: hogs?.n ?? 0,
      maxLiveMiB: round(max / MiB),
      maxRatio: round(max / LIMIT),
      p50Ratio: round(quantile(sizes.slice(0, -1), 0.5) / LIMIT),
      metricWorstRatio: round(worstSeen),
      // CPU of this process: the daemon (and the gzip it runs on the thread pool), not the writer.
      daemonCpuPercent: round(((cpu.user + cpu.system) / 1e6 / wallS) * 100, 1),
      // pass-only is the reference (the kubelet's way), not held to the target.
      targetMet: mode === 'pass-only' ? null : max <= TARGET_RATIO * LIMIT,
    };
  } finally {
    hogs?.stop();
    runtime.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

const modes = quick
  ? [
      ['watch', 6],
      ['watch-loaded', 6],
      ['poll', 6],
    ]
  : [
      ['watch', 30],
      ['watch-loaded', 30],
      ['poll', 30],
      ['pass-only', 25],
    ];
const table = [];
for (const [mode, seconds] of modes) {
  log(`${mode}: ${seconds} s at ${RATE / 1e6} MB/s, limit 10Mi`);
  const row = await runMode(mode, seconds);
  log(JSON.stringify(row));
  table.push(row);
}
const targetModes = table.filter((r) => r.mode !== 'pass-only');
const result = {
  title: 'Overshoot: a 50 MB/s writer behind a 10 MiB limit',
  description:
    `Largest live log a writer at 50 MB/s ever had, relative to --max-size 10Mi (target, issue 18: at most ${TARGET_RATIO}x in every mode but the pass-only reference). ` +
    '`watch` is the default trigger (directory watches), `watch-loaded` the same with one busy-loop process per CPU ' +
    'competing at normal priority (compression threads run at nice 10 and give way), ' +
    '`poll` the fallback where directories cannot be watched, ' +
    "`pass-only` the periodic pass alone every 10 s (the kubelet's behaviour). Sizes are counted by the writer per file, " +
    'including bytes written between the rename and the reopen.',
  table,
  targetMet: targetModes.length > 0 && targetModes.every((r) => r.targetMet),
};
const out = JSON.stringify(result, null, 2);
if (process.env.BENCH_RESULT_FILE) await writeFile(process.env.BENCH_RESULT_FILE, out);
else process.stdout.write(`${out}\n`);
