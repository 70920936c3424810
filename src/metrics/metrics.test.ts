import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeRuntime } from '../../test/helpers/fake-runtime.js';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { RuntimeUnavailableError } from '../errors/crilog-error.js';
import { ContainerLogManager } from '../manager/container-log-manager.js';
import { OutsideRootsError } from '../daemon/root-guard.js';
import { DiskUsage } from './disk-usage.js';
import { CrilogMetrics } from './metrics.js';

async function value(
  metrics: CrilogMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  // The per-container families are crilog's own, outside the registry.
  const family = [metrics.liveRatio, metrics.containerRotatedBytes].find((f) => f.name === name);
  if (family) return family.get(labels);
  const json = await metrics.registry.getMetricsAsJSON();
  const metric = json.find((m) => m.name === name);
  const match = metric?.values.find(
    (v) =>
      Object.entries(labels).every(([k, l]) => v.labels[k] === l) &&
      ('metricName' in v ? v.metricName === name : true),
  );
  return match?.value;
}

describe('CrilogMetrics', () => {
  it('counts what the manager reports', async () => {
    const metrics = new CrilogMetrics({
      bytesOnDisk: () => 4242,
      version: '9.8.7',
      identify: (id) =>
        id === 'a'
          ? { labels: {}, metadata: { name: 'app', attempt: 0, podName: 'web-1', podNamespace: 'shop' } }
          : undefined,
    });
    const manager = new ContainerLogManager({ runtime: new FakeRuntime(), maxSize: 1000 });
    const unbind = metrics.bindManager(manager);
    manager.emit('rotation', {
      id: 'a',
      logPath: '/l/0.log',
      outcome: 'success',
      bytes: 1500,
      durationMs: 12,
    });
    manager.emit('rotation', {
      id: 'a',
      logPath: '/l/0.log',
      outcome: 'reopen_failed',
      bytes: 1100,
      durationMs: 3,
    });
    manager.emit('compression', {
      id: 'a',
      path: '/l/0.log.x',
      outcome: 'success',
      bytesIn: 1000,
      bytesOut: 100,
      durationMs: 40,
    });
    manager.emit('runtime-error', { method: 'reopenContainerLog', id: 'a', error: new Error('x') });
    manager.emit('runtime-error', {
      method: 'containerStatus',
      id: 'b',
      error: new OutsideRootsError('b', '/etc/0.log', ['/l']),
    });
    manager.emit('pass', {
      startedAt: new Date(),
      durationMs: 5,
      containers: [
        { id: 'a', logPath: '/l/0.log', action: 'none', size: 500, limit: 1000 },
        { id: 'b', action: 'skipped' },
      ],
    });
    expect(await value(metrics, 'crilog_rotations_total', { outcome: 'success' })).toBe(1);
    expect(await value(metrics, 'crilog_rotations_total', { outcome: 'reopen_failed' })).toBe(1);
    expect(await value(metrics, 'crilog_rotations_total', { outcome: 'error' })).toBe(0);
    expect(await value(metrics, 'crilog_compression_input_bytes_total')).toBe(1000);
    expect(await value(metrics, 'crilog_compression_output_bytes_total')).toBe(100);
    expect(await value(metrics, 'crilog_runtime_errors_total', { method: 'reopenContainerLog' })).toBe(1);
    expect(await value(metrics, 'crilog_runtime_errors_total', { method: 'containerStatus' })).toBe(0);
    expect(await value(metrics, 'crilog_containers_managed')).toBe(1);
    const a = { namespace: 'shop', pod: 'web-1', container: 'app', container_id: 'a' };
    expect(await value(metrics, 'crilog_live_log_size_ratio', a)).toBe(0.5);
    expect(await value(metrics, 'crilog_live_log_size_ratio_current_max')).toBe(0.5);
    expect(await value(metrics, 'crilog_container_rotated_bytes_total', a)).toBe(1500);
    expect(await value(metrics, 'crilog_rotated_bytes_total')).toBe(1500);
    expect(await value(metrics, 'crilog_build_info', { version: '9.8.7' })).toBe(1);
    expect(await value(metrics, 'crilog_last_successful_pass_timestamp_seconds')).toBeGreaterThan(
      Date.now() / 1000 - 60,
    );
    expect(await value(metrics, 'crilog_live_log_size_ratio_max')).toBe(1.5);
    expect(await value(metrics, 'crilog_log_bytes_on_disk')).toBe(4242);
    expect(await value(metrics, 'crilog_runtime_up')).toBe(1);
    const text = await metrics.text();
    expect(text).toContain('crilog_rotation_duration_seconds_bucket{le="0.025"} 2');
    expect(text).toContain('crilog_rotated_size_ratio_bucket{le="1.5"} 2');

    manager.emit('pass', {
      startedAt: new Date(),
      durationMs: 1,
      containers: [],
      error: new Error('list failed', { cause: new RuntimeUnavailableError('down') }),
    });
    expect(await value(metrics, 'crilog_runtime_up')).toBe(0);
    expect(await value(metrics, 'crilog_passes_total', { result: 'error' })).toBe(1);
    manager.emit('pass', { startedAt: new Date(), durationMs: 1, containers: [] });
    expect(await value(metrics, 'crilog_live_log_size_ratio', a)).toBeUndefined();
    expect(await value(metrics, 'crilog_container_rotated_bytes_total', a)).toBeUndefined();
    expect(await value(metrics, 'crilog_live_log_size_ratio_current_max')).toBe(0);
    expect(await value(metrics, 'crilog_live_log_size_ratio_max')).toBe(1.5);
    unbind();
    manager.emit('rotation', { id: 'a', logPath: '/l/0.log', outcome: 'success', bytes: 1, durationMs: 1 });
    expect(await value(metrics, 'crilog_rotations_total', { outcome: 'success' })).toBe(1);
  });

  it('exports process metrics under their standard names, without gauges named like counters', async () => {
    const text = await new CrilogMetrics({ defaultMetrics: true }).text();
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^nodejs_active_handles\{/m);
    expect(text).not.toMatch(/crilog_process_|crilog_nodejs_|nodejs_active_\w+_total/);
    for (const line of text.split('\n')) {
      const m = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (m?.[1]?.endsWith('_total')) expect(m[2], m[1]).toBe('counter');
    }
  });

  it('exports no process metrics unless asked (a library host has its own)', async () => {
    const text = await new CrilogMetrics().text();
    for (const line of text.split('\n'))
      if (line && !line.startsWith('#')) expect(line.startsWith('crilog_')).toBe(true);
  });

  it('drops per-container series when disabled, keeping the node-wide ones', async () => {
    const metrics = new CrilogMetrics({ perContainer: false });
    const manager = new ContainerLogManager({ runtime: new FakeRuntime(), maxSize: 1000 });
    metrics.bindManager(manager);
    manager.emit('rotation', {
      id: 'a',
      logPath: '/l/0.log',
      outcome: 'success',
      bytes: 2000,
      durationMs: 1,
    });
    manager.emit('pass', {
      startedAt: new Date(),
      durationMs: 1,
      containers: [{ id: 'a', logPath: '/l/0.log', action: 'none', size: 700, limit: 1000 }],
    });
    const text = await metrics.text();
    expect(text).not.toMatch(/container_id=/);
    expect(await value(metrics, 'crilog_live_log_size_ratio_current_max')).toBe(0.7);
    expect(await value(metrics, 'crilog_live_log_size_ratio_max')).toBe(2);
    expect(await value(metrics, 'crilog_rotated_bytes_total')).toBe(2000);
  });

  it('relabels a container whose names arrive after its first observation, leaving no stale series', async () => {
    let known = false;
    const metrics = new CrilogMetrics({
      identify: () =>
        known
          ? {
              labels: {
                'io.kubernetes.pod.namespace': 'ns',
                'io.kubernetes.pod.name': 'p',
                'io.kubernetes.container.name': 'c',
              },
            }
          : undefined,
    });
    metrics.observeLive('x', 1, 10);
    known = true;
    metrics.observeLive('x', 2, 10);
    const text = await metrics.text();
    expect(text.match(/^crilog_live_log_size_ratio\{.*$/gm)).toEqual([
      'crilog_live_log_size_ratio{namespace="ns",pod="p",container="c",container_id="x"} 0.2',
    ]);
  });

  it('counts deletions by reason, every reason exported at 0 from the start', async () => {
    const metrics = new CrilogMetrics();
    metrics.countRemoved('max-files', 2);
    metrics.countRemoved('disk-pressure', 1);
    expect(await value(metrics, 'crilog_removed_files_total', { reason: 'max-files' })).toBe(2);
    expect(await value(metrics, 'crilog_removed_files_total', { reason: 'max-age' })).toBe(0);
    expect(await value(metrics, 'crilog_removed_files_total', { reason: 'budget' })).toBe(0);
    expect(await value(metrics, 'crilog_removed_files_total', { reason: 'disk-pressure' })).toBe(1);
  });
});

describe('DiskUsage', () => {
  it('adds live sizes from passes to rotated files listed only when changed', async () => {
    const dir = await tempDir('crilog-disk-');
    const live = path.join(dir, '0.log');
    await fsp.writeFile(`${live}.20260101-000000.gz`, Buffer.alloc(100));
    await fsp.writeFile(`${live}.20260101-000001`, Buffer.alloc(200));
    const listed: string[] = [];
    const fs = (await import('../ports/file-system.js')).nodeFileSystem;
    const usage = new DiskUsage({ ...fs, readdir: (d) => (listed.push(d), fs.readdir(d)) });
    usage.observePass({
      startedAt: new Date(),
      durationMs: 0,
      containers: [{ id: 'a', logPath: live, action: 'none', size: 50, limit: 1000 }],
    });
    expect(await usage.total()).toBe(350);
    expect(await usage.total()).toBe(350);
    expect(listed).toHaveLength(1);
    await fsp.writeFile(`${live}.20260101-000002`, Buffer.alloc(1000));
    usage.invalidate('a');
    usage.observeLive('a', 7);
    expect(await usage.total()).toBe(1307);
    usage.observePass({ startedAt: new Date(), durationMs: 0, containers: [] });
    expect(await usage.total()).toBe(0);
  });
});

describe('DiskUsage on many containers', () => {
  it('re-lists aged containers a twentieth per call, oldest first, not all in one scrape', async () => {
    const dir = await tempDir('crilog-disk-');
    let now = 0;
    const listed: string[] = [];
    const fs = (await import('../ports/file-system.js')).nodeFileSystem;
    const usage = new DiskUsage({ ...fs, readdir: (d) => (listed.push(d), fs.readdir(d)) }, 1000, () => now);
    const containers = [];
    for (let i = 0; i < 40; i++) {
      const logPath = path.join(dir, `c${i}`, '0.log');
      await fsp.mkdir(path.dirname(logPath));
      containers.push({ id: `c${i}`, logPath, action: 'none' as const, size: 1, limit: 10 });
    }
    usage.observePass({ startedAt: new Date(), durationMs: 0, containers });
    expect(await usage.total()).toBe(40);
    expect(listed).toHaveLength(40);
    now = 5000;
    listed.length = 0;
    await usage.total();
    expect(listed).toHaveLength(2);
    await usage.total();
    expect(listed).toHaveLength(4);
    // A changed container is listed at once, whatever the share.
    usage.invalidate('c39');
    listed.length = 0;
    await usage.total();
    expect(listed).toContain(path.join(dir, 'c39'));
  });
});

describe('budget and policy metrics', () => {
  it('exports no budget series without a budget', async () => {
    const metrics = new CrilogMetrics();
    metrics.bindManager(new ContainerLogManager({ runtime: new FakeRuntime() }));
    expect(await metrics.text()).not.toMatch(/crilog_budget_/);
  });

  it('shows usage against the node budget, files it deleted, and rejected annotations', async () => {
    const dir = await tempDir();
    const runtime = new FakeRuntime();
    const logs = ['a', 'b'].map((id) => path.join(dir, `${id}.log`));
    for (const [i, log] of logs.entries()) {
      await fsp.writeFile(log, 'x'.repeat(50));
      await fsp.writeFile(`${log}.20260101-000000`, 'y'.repeat(300));
      runtime.add(
        ['a', 'b'][i]!,
        log,
        'running',
        i === 0 ? { annotations: { 'crilog.io/max-files': 'none' } } : {},
      );
    }
    const manager = new ContainerLogManager({
      runtime,
      maxSize: '1Mi',
      maxTotalSize: 500,
      compression: 'none',
    });
    const metrics = new CrilogMetrics();
    metrics.bindManager(manager);
    await manager.rotateOnce();
    const text = await metrics.text();
    expect(text).toMatch(/^crilog_budget_limit_bytes 500$/m);
    expect(text).toMatch(/^crilog_budget_used_bytes 400$/m);
    expect(text).toMatch(/^crilog_removed_files_total\{reason="budget"\} 1$/m);
    expect(text).toMatch(/crilog_policy_errors_total 1/);
  });
});
