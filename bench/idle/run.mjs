/**
 * Idle-cost benchmark: what does `crilog daemon` cost on a node with 1000 containers that write
 * nothing? The daemon runs as its own process (dist/cli/main.js) against a CRI gRPC server in this
 * process (fake-cri.mjs), with the default settings (10 s passes, directory watches). Its CPU comes
 * from /proc/<pid>/stat over the measurement window (after a warm-up), its memory from VmRSS sampled
 * every second; /metrics is scraped every 15 s during the window, as Prometheus would.
 *
 * Targets (issue 18): 1000 containers at most 0.3% of one core in any 60 s window and 96 MB RSS; 5000
 * containers at most 1.5%. CPU is sampled every second, so the worst 60 s window is exact to a tick.
 * Env: BENCH_QUICK=1 (200 containers, short window); BENCH_IDLE_CONTAINERS=1000,5000 the counts;
 * BENCH_IDLE_WINDOW_S the measured window (default 300 s: one whole cycle of passes, the safety-net listing
 * included); BENCH_IDLE_WARMUP_S seconds after the first pass before it (default 400: 25 s, the first
 * cycle and the first 5-minute tasks with the compilation of their code, reported on its own as
 * firstCycle*); BENCH_IDLE_SCRAPE_S
 * seconds between scrapes (default 15; 0 none); BENCH_IDLE_SCRAPE_BURST=N scrapes back to back after the
 * window, reported as the daemon's CPU ms per scrape (`scrapeCpuMs`);
 * BENCH_IDLE_NODE_ARGS extra node flags for the daemon (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`);
 * BENCH_IDLE_DAEMON_ARGS extra `crilog daemon` flags (e.g. `--no-per-container-metrics`, to see what a
 * setting costs); BENCH_IDLE_MALLOC_ARENA_MAX likewise for MALLOC_ARENA_MAX;
 * BENCH_IDLE_NODE_OPTIONS the daemon's NODE_OPTIONS (default: the image's, from
 * deploy/Dockerfile, as the DaemonSet and the systemd unit run it; empty: Node's defaults);
 * BENCH_RESULT_FILE where to write the JSON result.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parseDockerfile, runtimeSettings } from '../../scripts/images/dockerfile-settings.mjs';
import { serveFakeCri } from './fake-cri.mjs';

const quick = process.env.BENCH_QUICK === '1';
const COUNTS = (process.env.BENCH_IDLE_CONTAINERS ?? (quick ? '200' : '1000,5000')).split(',').map(Number);
// 25 s, then one cycle of spread full checks (30 intervals of 10 s): in that first cycle the daemon
// checks every container once more and learns which are quiet. Then 75 s more: the tasks that first run
// 5 minutes after the start (the safety-net listing, the disk-usage re-listing at a scrape) make V8
// compile their code once (`--trace-opt`: 20-100 ms of a compiler thread, at 345-365 s). All of it is
// reported on its own as firstCycle*.
const WARMUP_S = Number(process.env.BENCH_IDLE_WARMUP_S ?? (quick ? 12 : 400));
// A whole cycle of 30 intervals: the window holds one full pass, five verify passes and one safety-net listing.
const WINDOW_S = Number(process.env.BENCH_IDLE_WINDOW_S ?? (quick ? 30 : 300));
/** Seconds between /metrics scrapes in the window, as Prometheus's default; 0 turns scraping off (to isolate its cost). */
const SCRAPE_S = Number(process.env.BENCH_IDLE_SCRAPE_S ?? 15);
/** Scrapes back to back after the window, to measure the daemon's CPU per scrape (`scrapeCpuMs`); 0 none. */
const SCRAPE_BURST = Number(process.env.BENCH_IDLE_SCRAPE_BURST ?? 0);
/** The targets: share of one core in the worst 60 s window, and peak RSS (MB). */
const SLIDE_S = 60;
const TARGETS = { 1000: { cpuPercent: 0.3, rssMB: 96 }, 5000: { cpuPercent: 1.5, rssMB: null } };
const MAIN =
  process.env.CRILOG_BENCH_MAIN ?? fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
/** The image's environment (deploy/Dockerfile's runtime stage): the daemon is measured as it is deployed. */
const IMAGE_ENV = new Map(
  runtimeSettings(
    parseDockerfile(await readFile(new URL('../../deploy/Dockerfile', import.meta.url), 'utf8')),
  ).env,
);
const NODE_OPTIONS = process.env.BENCH_IDLE_NODE_OPTIONS ?? IMAGE_ENV.get('NODE_OPTIONS') ?? '';
/** glibc's limit on malloc arenas, as the image sets it (each thread that mallocs may get its own). */
const MALLOC_ARENA_MAX = process.env.BENCH_IDLE_MALLOC_ARENA_MAX ?? IMAGE_ENV.get('MALLOC_ARENA_MAX');
const log = (msg) => process.stderr.write(`[idle] ${msg}\n`);
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * Samples the daemon every second for `seconds`, paced on the clock so a slow sample does not stretch
 * the window, scraping /metrics every SCRAPE_S as Prometheus would: CPU ms and RSS KiB per second.
 */
async function sampleSeconds(pid, seconds, scrape) {
  const t0 = performance.now();
  const cpu = [];
  const rss = [];
  let scrapes = 0;
  let last = await procCpuMs(pid);
  for (let s = 1; s <= seconds; s++) {
    await sleep(Math.max(0, t0 + s * 1000 - performance.now()));
    const now = await procCpuMs(pid);
    cpu.push(now - last);
    last = now;
    rss.push(await procRssKiB(pid));
    if (SCRAPE_S > 0 && s % SCRAPE_S === 0) {
      await scrape();
      scrapes++;
    }
  }
  return { cpu, rss, scrapes };
}

async function procCpuMs(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime (fields 14, 15) in USER_HZ = 100 ticks per second.
  return (Number(f[11]) + Number(f[12])) * 10;
}

async function procRssKiB(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
}

function sample(text, series) {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const rows = [];
const calls = {};
for (const n of COUNTS) {
  const { row, runtimeCalls } = await measureIdle(n);
  rows.push(row);
  calls[n] = runtimeCalls;
}
const result = {
  title: `Idle cost: ${COUNTS.join(' and ')} containers that write nothing`,
  description:
    'CPU (share of one core) and peak RSS of the `crilog daemon` process with default settings (10 s passes, directory watches), ' +
    "run with the image's `NODE_OPTIONS` and `MALLOC_ARENA_MAX` (`nodeOptions`, `mallocArenaMax`, from deploy/Dockerfile), " +
    'against a CRI gRPC server that answers with kubelet-like labels and annotations on containers and pod sandboxes, after a warm-up, ' +
    `/metrics scraped every 15 s. CPU is sampled every second: \`worst60sCpuPercent\` is the worst ${SLIDE_S} s window, \`cpuPercentOfCore\` the whole window. ` +
    'Targets (issue 18): 1000 containers at most 0.3% in any 60 s window and 96 MB RSS; 5000 containers at most 1.5%. ' +
    '`lists`: full container and sandbox listings in the window; `stopMs`: time from SIGTERM to exit.',
  table: rows,
  targetMet: rows.every((r) => r.targetMet),
  runtimeCalls: calls,
};
const out = JSON.stringify(result, null, 2);
if (process.env.BENCH_RESULT_FILE) await writeFile(process.env.BENCH_RESULT_FILE, out);
else process.stdout.write(`${out}\n`);

/** Worst average over `width` consecutive one-second CPU samples (ms per sample). */
function worstWindow(samples, width) {
  if (samples.length <= width) return samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length);
  let sum = samples.slice(0, width).reduce((a, b) => a + b, 0);
  let worst = sum;
  for (let i = width; i < samples.length; i++) {
    sum += samples[i] - samples[i - width];
    worst = Math.max(worst, sum);
  }
  return worst / width;
}

/** One daemon over `N` idle containers: its CPU and memory over the window. */
async function measureIdle(N) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crilog-idle-'));
  let daemon;
  let cri;
  try {
    const root = path.join(dir, 'pods');
    const gz = gzipSync(Buffer.from('2026-01-01T00:00:00.000000000Z stdout F an old line\n'.repeat(100)));
    const containers = [];
    for (let i = 0; i < N; i++) {
      const id = `${i.toString(16).padStart(8, '0')}${'c'.repeat(56)}`;
      const logPath = path.join(root, `default_pod-${i}_uid-${i}`, 'app', '0.log');
      await mkdir(path.dirname(logPath), { recursive: true });
      await writeFile(logPath, '2026-01-01T00:00:00.000000000Z stdout F hello\n'.repeat(40));
      await writeFile(`${logPath}.20260101-000000.gz`, gz);
      containers.push({ id, name: `app-${i}`, logPath });
    }
    cri = await serveFakeCri(path.join(dir, 'cri.sock'), containers);
    log(`${N} idle containers under ${root}`);

    daemon = spawn(
      process.execPath,
      [
        ...(process.env.BENCH_IDLE_NODE_ARGS ?? '').split(' ').filter(Boolean),
        MAIN,
        'daemon',
        '--runtime-endpoint',
        cri.endpoint,
        '--log-root',
        root,
        '--lock-file',
        path.join(dir, 'crilog.lock'),
        '--metrics-address',
        '127.0.0.1:0',
        ...(process.env.BENCH_IDLE_DAEMON_ARGS ?? '').split(' ').filter(Boolean),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, NODE_OPTIONS, ...(MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX } : {}) },
      },
    );
    const exited = new Promise((resolve) => daemon.once('exit', (code, signal) => resolve({ code, signal })));
    const metricsAddress = await new Promise((resolve, reject) => {
      let buf = '';
      daemon.stdout.setEncoding('utf8').on('data', (s) => {
        buf += s;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          try {
            const j = JSON.parse(line);
            if (j.msg === 'crilog daemon started') resolve(j.metrics);
            if (j.level === 'warn' || j.level === 'error') log(`daemon: ${line}`);
          } catch {
            log(`daemon: ${line}`);
          }
        }
      });
      exited.then(({ code }) => reject(new Error(`daemon exited with ${code} before starting`)));
    });
    const scrape = async () => (await fetch(`http://${metricsAddress}/metrics`)).text();
    for (let t = performance.now(); ; await sleep(250)) {
      // A scrape refused while the daemon is still starting on a loaded machine is retried, not fatal.
      const text = await scrape().catch(() => '');
      if ((sample(text, 'crilog_passes_total{result="ok",kind="full"}') ?? 0) >= 1) break;
      if (performance.now() - t > 180_000) throw new Error('no pass within 180 s');
    }
    log(`first pass done; warming up ${WARMUP_S} s`);
    const pid = daemon.pid;
    // Sampled too: the first cycle of spread full checks (the daemon learning which containers are
    // quiet) is reported on its own, after the first 25 s.
    const warm = await sampleSeconds(pid, WARMUP_S, scrape);
    const lists0 = cri.calls.ListContainers;
    log(`measuring ${WINDOW_S} s`);
    const t0 = performance.now();
    const cpu0 = await procCpuMs(pid);
    const { cpu: perSecond, rss: rssPerSecond, scrapes } = await sampleSeconds(pid, WINDOW_S, scrape);
    const maxRss = Math.max(...rssPerSecond);
    // The first cycle after the warm-up's first 25 s, when the warm-up is long enough to hold a window.
    const firstCycle = warm.cpu.slice(25);
    const wallMs = performance.now() - t0;
    const cpuMs = (await procCpuMs(pid)) - cpu0;
    const m = await scrape();
    // The daemon's CPU per scrape, out of a burst: one scrape is below the 10 ms tick of /proc.
    let scrapeCpuMs = null;
    if (SCRAPE_BURST > 0) {
      const before = await procCpuMs(pid);
      for (let i = 0; i < SCRAPE_BURST; i++) await scrape();
      scrapeCpuMs = round(((await procCpuMs(pid)) - before) / SCRAPE_BURST, 2);
    }

    const stopT0 = performance.now();
    daemon.kill('SIGTERM');
    const { code } = await exited;
    const stopMs = performance.now() - stopT0;

    const cpuPercent = (cpuMs / wallMs) * 100;
    const worstPercent = worstWindow(perSecond, SLIDE_S) / 10;
    const rssMB = (maxRss * 1024) / 1e6;
    const target = TARGETS[N];
    const fullPasses = sample(m, 'crilog_passes_total{result="ok",kind="full"}') ?? 0;
    const quickPasses = sample(m, 'crilog_passes_total{result="ok",kind="quick"}') ?? 0;
    const row = {
      containers: N,
      nodeOptions: NODE_OPTIONS,
      mallocArenaMax: MALLOC_ARENA_MAX ?? null,
      windowS: round(wallMs / 1000, 1),
      worst60sCpuPercent: round(worstPercent, 3),
      firstCycleWorst60sCpuPercent:
        firstCycle.length >= SLIDE_S ? round(worstWindow(firstCycle, SLIDE_S) / 10, 3) : null,
      firstCycleMaxRssMB:
        firstCycle.length > 0 ? round((Math.max(...warm.rss.slice(25)) * 1024) / 1e6, 1) : null,
      cpuPercentOfCore: round(cpuPercent, 3),
      maxRssMB: round(rssMB, 1),
      lists: cri.calls.ListContainers - lists0,
      fullPasses,
      quickPasses,
      avgPassMs: round(
        (((sample(m, 'crilog_pass_duration_seconds_sum{kind="full"}') ?? 0) +
          (sample(m, 'crilog_pass_duration_seconds_sum{kind="quick"}') ?? 0)) /
          ((sample(m, 'crilog_pass_duration_seconds_count{kind="full"}') ?? 0) +
            (sample(m, 'crilog_pass_duration_seconds_count{kind="quick"}') ?? 0))) *
          1000,
        1,
      ),
      watchedDirectories: sample(m, 'crilog_watched_directories'),
      containersManaged: sample(m, 'crilog_containers_managed'),
      scrapes,
      ...(scrapeCpuMs === null ? {} : { scrapeCpuMs }),
      stopMs: Math.round(stopMs),
      exitCode: code,
      targetCpuPercent: target?.cpuPercent ?? null,
      targetRssMB: target?.rssMB ?? null,
      targetMet:
        (target?.cpuPercent == null || worstPercent <= target.cpuPercent) &&
        (target?.rssMB == null || rssMB <= target.rssMB),
    };
    log(JSON.stringify(row));
    log(`CPU ms per second: ${perSecond.join(' ')}`);
    log(`RSS MiB per second: ${rssPerSecond.map((k) => Math.round(k / 1024)).join(' ')}`);
    return { row, runtimeCalls: { ...cri.calls } };
  } finally {
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
    await cri?.close();
    await rm(dir, { recursive: true, force: true });
  }
}
