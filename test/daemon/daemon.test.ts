import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/settings/index.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { LockedError } from '../../src/daemon/lock-file.js';
import type { UsageReport } from '../../src/daemon/usage/collect-usage.js';
import { RuntimeUnavailableError } from '../../src/errors/crilog-error.js';
import { silentLogger } from '../../src/ports/logger.js';
import { fakeFactory } from '../cli/cli-harness.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';
import { tempDir } from '../helpers/tmpdir.js';
import { WriterRuntime } from './writer-runtime.js';

const daemons: Daemon[] = [];
afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.stop()));
});

async function setup(opts: { probe?: () => Promise<string> } = {}) {
  const dir = await tempDir('crilog-daemon-');
  const root = path.join(dir, 'pods');
  const logPath = path.join(root, 'ns_pod_uid', 'app', '0.log');
  await fsp.mkdir(path.dirname(logPath), { recursive: true });
  await fsp.writeFile(logPath, Buffer.alloc(3000, 'line\n'));
  const runtime = new FakeRuntime();
  runtime.add('c1', logPath, 'running', { labels: { 'io.kubernetes.container.name': 'app' } });
  const config = resolveSettings({
    flags: {
      logRoots: [root],
      lockFile: path.join(dir, 'crilog.lock'),
      maxSize: '1Ki',
      metricsAddress: '127.0.0.1:0',
      monitorInterval: '1h',
    },
    cwd: dir,
  });
  const daemon = new Daemon({
    config,
    logger: silentLogger,
    runtimeFactories: { cri: fakeFactory(runtime, opts.probe) },
  });
  daemons.push(daemon);
  return { dir, logPath, runtime, config, daemon };
}

async function startAndPass(daemon: Daemon): Promise<void> {
  await daemon.start();
  await once(daemon.manager!, 'pass');
}

async function get(
  daemon: Daemon,
  url: string,
  init?: RequestInit,
): Promise<{ status: number; type: string | null; text: string }> {
  const { host, port } = daemon.address!;
  const res = await fetch(`http://${host}:${port}${url}`, init);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

/** The value of one sample in Prometheus text, e.g. `crilog_rotations_total{outcome="success"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('Daemon HTTP endpoints', () => {
  it('serves metrics, health, readiness and status over HTTP on loopback', async () => {
    const { daemon, logPath } = await setup();
    await startAndPass(daemon);
    expect(daemon.address!.host).toBe('127.0.0.1');
    const metrics = await get(daemon, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = metrics.text;
    expect(sample(m, 'crilog_rotations_total{outcome="success"}')).toBe(1);
    expect(sample(m, 'crilog_rotations_total{outcome="reopen_failed"}')).toBe(0);
    expect(sample(m, 'crilog_rotation_duration_seconds_count')).toBe(1);
    expect(sample(m, 'crilog_containers_managed')).toBe(1);
    expect(sample(m, 'crilog_runtime_up')).toBe(1);
    expect(sample(m, 'crilog_live_log_size_ratio_max')).toBeCloseTo(3000 / 1024);
    expect(sample(m, 'crilog_rotated_size_ratio_count')).toBe(1);
    expect(sample(m, 'crilog_passes_total{result="ok",kind="full"}')).toBe(1);
    expect(sample(m, 'crilog_watched_directories')).toBe(1);
    expect(sample(m, 'crilog_log_bytes_on_disk')).toBeGreaterThan(0);
    expect(sample(m, 'crilog_runtime_errors_total{method="listContainers"}')).toBe(0);
    expect(m).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(m).toMatch(
      /^crilog_live_log_size_ratio\{namespace="",pod="",container="app",container_id="c1"\} /m,
    );
    expect(m).toMatch(/^crilog_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1$/m);
    expect(sample(m, 'crilog_monitor_interval_seconds')).toBe(3600);
    expect(sample(m, 'crilog_last_successful_pass_timestamp_seconds')).toBeGreaterThan(0);

    expect(await get(daemon, '/healthz')).toMatchObject({ status: 200, text: 'ok\n' });
    expect(await get(daemon, '/readyz')).toMatchObject({ status: 200, text: 'ok\n' });
    expect((await get(daemon, '/nope')).status).toBe(404);
    expect((await get(daemon, '/metrics', { method: 'POST' })).status).toBe(405);

    const status = await get(daemon, '/status');
    expect(status).toMatchObject({ status: 200, type: 'application/json' });
    const report = JSON.parse(status.text) as UsageReport;
    expect(report).toMatchObject({
      source: 'daemon',
      limits: { maxSize: 1024, maxFiles: 5 },
      totals: { containers: 1, managed: 1, rotations: 1 },
      daemon: { pid: process.pid, ready: true, runtime: 'fake runtime' },
      containers: [
        {
          id: 'c1',
          name: 'app',
          state: 'running',
          logPath,
          rotations: 1,
          rotatedFiles: 1,
          lastRotation: expect.any(String),
        },
      ],
    });
  });

  it('counts rotated files someone else deleted in crilog_log_bytes_on_disk at the next scrape (the watch saw it)', async () => {
    const { daemon, logPath } = await setup();
    await startAndPass(daemon);
    const bytes = async () => sample((await get(daemon, '/metrics')).text, 'crilog_log_bytes_on_disk');
    expect(await bytes()).toBeGreaterThan(0);
    const dir = path.dirname(logPath);
    const deadline = performance.now() + 15_000;
    // Retried: a compression still in flight may write its .gz after a deletion.
    for (;;) {
      for (const f of await fsp.readdir(dir))
        if (f.startsWith('0.log.')) await fsp.rm(path.join(dir, f), { force: true });
      const live = (await fsp.stat(logPath)).size;
      // Not the age-based re-listing (minutes): the directory's watch told.
      if ((await bytes()) === live) break;
      expect(performance.now(), 'bytes on disk still count the deleted files').toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it('is not ready while the runtime cannot list containers, and ready again once it can', async () => {
    const { daemon, runtime } = await setup();
    await startAndPass(daemon);
    runtime.fail('listContainers', new RuntimeUnavailableError('connection refused'));
    await daemon.manager!.rotateOnce();
    const notReady = await get(daemon, '/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.text).toContain('connection refused');
    expect((await get(daemon, '/healthz')).status).toBe(200);
    const m = (await get(daemon, '/metrics')).text;
    expect(sample(m, 'crilog_runtime_up')).toBe(0);
    expect(sample(m, 'crilog_runtime_errors_total{method="listContainers"}')).toBe(1);
    // /status never asks the runtime: it shows what the passes last learned, and that the daemon is not ready.
    const status = await get(daemon, '/status');
    expect(status.status).toBe(200);
    expect(JSON.parse(status.text)).toMatchObject({
      daemon: { ready: false, readyError: expect.stringContaining('connection refused') },
      containers: [{ id: 'c1' }],
    });
    runtime.clearFailures();
    await daemon.manager!.rotateOnce();
    expect((await get(daemon, '/readyz')).status).toBe(200);
  });

  it('starts without a reachable runtime, reporting not ready instead of exiting', async () => {
    const { daemon, runtime } = await setup({
      probe: async () => {
        throw new RuntimeUnavailableError('no socket at /run/containerd/containerd.sock');
      },
    });
    runtime.fail('listContainers', new RuntimeUnavailableError('no socket'));
    await startAndPass(daemon);
    expect(daemon.ready).toBe(false);
    expect((await get(daemon, '/readyz')).status).toBe(503);
  });

  it('refuses a second daemon on the same lock, naming the first one', async () => {
    const { daemon, config } = await setup();
    await daemon.start();
    const second = new Daemon({
      config,
      logger: silentLogger,
      runtimeFactories: { cri: fakeFactory(new FakeRuntime()) },
    });
    const err = await second.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockedError);
    expect((err as Error).message).toContain(`PID ${process.pid}`);
  });

  it('stops cleanly: server closed, lock released, idempotent', async () => {
    const { daemon, config } = await setup();
    await startAndPass(daemon);
    const { host, port } = daemon.address!;
    await Promise.all([daemon.stop(), daemon.stop()]);
    await expect(fetch(`http://${host}:${port}/healthz`)).rejects.toThrow();
    await expect(fsp.access(config.lockFile)).rejects.toThrow();
  });

  it('rotates a fast writer between passes: the first pass finds the log, the watch does the rest', async () => {
    const dir = await tempDir('crilog-daemon-');
    const root = path.join(dir, 'pods');
    const logPath = path.join(root, 'ns_fast_uid', 'app', '0.log');
    await fsp.mkdir(path.dirname(logPath), { recursive: true });
    const runtime = new WriterRuntime('fast', logPath, 20 * 1000 * 1000);
    try {
      await runtime.ready;
      const config = resolveSettings({
        flags: { logRoots: [root], maxSize: '2Mi', metricsAddress: '127.0.0.1:0', monitorInterval: '1h' },
        cwd: dir,
      });
      const daemon = new Daemon({
        config,
        logger: silentLogger,
        lock: false,
        runtimeFactories: { cri: fakeFactory(runtime) },
      });
      daemons.push(daemon);
      await daemon.start();
      let rotations = 0;
      await new Promise<void>((resolve) =>
        daemon.manager!.on('rotation', (e) => {
          if (e.outcome === 'success' && ++rotations === 3) resolve();
        }),
      );
      const m = (await get(daemon, '/metrics')).text;
      expect(sample(m, 'crilog_trigger_checks_total{source="watch"}')).toBeGreaterThanOrEqual(3);
      expect(sample(m, 'crilog_passes_total{result="ok",kind="full"}')).toBe(1);
      expect(sample(m, 'crilog_rotations_total{outcome="success"}')).toBeGreaterThanOrEqual(3);
    } finally {
      await runtime.stop().catch(() => {});
      runtime.kill();
    }
  });
});
