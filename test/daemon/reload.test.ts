import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useBuiltCli } from '../cli/build-cli.js';
import { metricValue, spawnCli } from '../helpers/cli-process.js';
import { tempDir } from '../helpers/tmpdir.js';

const cli = useBuiltCli();

/** A directory laid out like a Kubernetes ConfigMap volume: `config.yaml -> ..data/config.yaml`. */
async function configMap(dir: string, content: string) {
  const mount = path.join(dir, 'cm');
  await fsp.mkdir(mount);
  let version = 0;
  const publish = async (text: string) => {
    const target = `..2026_12_06_${String(version++).padStart(2, '0')}`;
    await fsp.mkdir(path.join(mount, target));
    await fsp.writeFile(path.join(mount, target, 'config.yaml'), text);
    // The kubelet's atomic writer: a new symlink, renamed over ..data.
    await fsp.symlink(target, path.join(mount, '..data_tmp'));
    await fsp.rename(path.join(mount, '..data_tmp'), path.join(mount, '..data'));
  };
  await publish(content);
  await fsp.symlink('..data/config.yaml', path.join(mount, 'config.yaml'));
  return { file: path.join(mount, 'config.yaml'), publish };
}

const WRITER = `let i = 0; setInterval(() => { for (let k = 0; k < 20; k++) console.log('seq', i++, 'x'.repeat(60)); }, 10);`;

function config(dir: string, extra: string[]): string {
  return [
    'runtime: local',
    `logRoots: [${JSON.stringify(path.join(dir, 'logs'))}]`,
    `lockFile: ${JSON.stringify(path.join(dir, 'crilog.lock'))}`,
    'metricsAddress: 127.0.0.1:0',
    'monitorInterval: 1s',
    'maxFiles: 1000',
    'compression: none',
    'containers:',
    `  - { name: writer, command: ${JSON.stringify(process.execPath)}, args: ['-e', ${JSON.stringify(WRITER)}] }`,
    ...extra,
    '',
  ].join('\n');
}

describe('live reload of the built daemon', () => {
  it('applies SIGHUP and ConfigMap swaps from the next check, refuses bad or non-reloadable configs, and loses no rotation', async () => {
    const dir = await tempDir('crilog-reload-');
    const cm = await configMap(dir, config(dir, ['maxSize: 32Ki']));
    const p = spawnCli(cli.main, ['daemon', '--config', cm.file], { cwd: dir });
    const started = await p.logs.waitFor('crilog daemon started', 30_000);
    const metrics = async () => (await fetch(`http://${started.metrics}/metrics`)).text();
    const rotations = () => p.logs.lines.filter((l) => l.msg === 'rotated');
    await p.logs.waitUntil(() => rotations().length >= 3, 'three rotations at 32Ki', 30_000);

    // SIGHUP with the file unchanged: reloaded, nothing changed.
    p.child.kill('SIGHUP');
    const hup = await p.logs.waitFor('configuration reloaded');
    expect(hup).toMatchObject({ trigger: 'SIGHUP', changed: [] });

    // A ConfigMap update (symlink swap) with a larger maxSize applies without a signal.
    await cm.publish(config(dir, ['maxSize: 256Ki']));
    const swap = await p.logs.waitUntil(
      (l) => l.msg === 'configuration reloaded' && l.trigger === 'file change',
      'a reload after the ConfigMap swap',
    );
    expect(swap.changed).toEqual(['maxSize']);
    const afterSwap = p.logs.lines.length;
    await p.logs.waitUntil(
      (l) => p.logs.lines.indexOf(l) > afterSwap && l.msg === 'rotated' && Number(l.bytes) >= 256 * 1024,
      'a rotation at the new 256Ki limit',
      30_000,
    );

    // An invalid config is refused with the usual message; the running one stays.
    await cm.publish(config(dir, ['maxSize: banana']));
    const refused = await p.logs.waitUntil(
      (l) => String(l.msg).startsWith('configuration reload refused'),
      'a refusal',
    );
    expect(refused.error).toContain(`config file "${cm.file}": maxSize: "banana" is invalid`);
    expect(refused.level).toBe('error');

    // A setting that cannot change live is named in the refusal.
    await cm.publish(
      config(dir, ['maxSize: 256Ki']).replace('metricsAddress: 127.0.0.1:0', 'metricsAddress: 127.0.0.1:1'),
    );
    const fixed = await p.logs.waitUntil(
      (l) =>
        String(l.msg).startsWith('configuration reload refused') &&
        String(l.error).includes('metricsAddress'),
      'a refusal naming metricsAddress',
    );
    expect(fixed.error).toMatch(/metricsAddress cannot change while the daemon runs; restart crilog/);

    const text = await metrics();
    expect(metricValue(text, 'crilog_config_reload_total{outcome="success"}')).toBeGreaterThanOrEqual(2);
    expect(metricValue(text, 'crilog_config_reload_total{outcome="rejected"}')).toBe(2);

    // Still rotating at 256Ki after the refusals.
    const afterRefusals = p.logs.lines.length;
    await p.logs.waitUntil(
      (l) => p.logs.lines.indexOf(l) > afterRefusals && l.msg === 'rotated' && Number(l.bytes) >= 256 * 1024,
      'a rotation after the refusals',
      30_000,
    );

    // Series that follow reloadable settings: a budget appears, the interval changes, and the
    // per-container series go when perContainerMetrics is turned off.
    const before = await metrics();
    expect(before).not.toMatch(/^crilog_budget_limit_bytes /m);
    expect(metricValue(before, 'crilog_monitor_interval_seconds')).toBe(1);
    // Rotations have happened, so the writer has its series, under its pod's names.
    expect(before).toMatch(
      /^crilog_container_rotated_bytes_total\{namespace="default",pod="writer",container="writer",container_id="[^"]+"\} [1-9]/m,
    );
    await cm.publish(
      config(dir, ['maxSize: 256Ki', 'maxTotalSize: 100Mi', 'perContainerMetrics: false']).replace(
        'monitorInterval: 1s',
        'monitorInterval: 2s',
      ),
    );
    const series = await p.logs.waitUntil(
      (l) =>
        l.msg === 'configuration reloaded' &&
        (l.changed as string[] | undefined)?.includes('maxTotalSize') === true,
      'a reload adding a budget',
    );
    expect([...(series.changed as string[])].sort()).toEqual([
      'maxTotalSize',
      'monitorInterval',
      'perContainerMetrics',
    ]);
    const after = await metrics();
    expect(metricValue(after, 'crilog_budget_limit_bytes')).toBe(100 * 1024 * 1024);
    expect(metricValue(after, 'crilog_budget_used_bytes')).toBeGreaterThanOrEqual(0);
    expect(metricValue(after, 'crilog_monitor_interval_seconds')).toBe(2);
    expect(after).not.toMatch(/^crilog_live_log_size_ratio\{/m);
    expect(after).not.toMatch(/^crilog_container_rotated_bytes_total\{/m);
    expect(metricValue(after, 'crilog_live_log_size_ratio_current_max')).toBeGreaterThanOrEqual(0);

    p.child.kill('SIGTERM');
    expect(await p.exited).toEqual({ code: 0, signal: null });

    // Every line the writer wrote is in exactly one file, in order.
    const read = spawnCli(cli.main, ['logs', '--path', path.join(dir, 'logs', 'writer', '0.log')]);
    let out = '';
    read.child.stdout!.removeAllListeners('data');
    read.child.stdout!.on('data', (s: string) => (out += s));
    expect((await read.exited).code).toBe(0);
    const seqs = out
      .trim()
      .split('\n')
      .map((l) => Number(l.split(' ')[1]));
    expect(seqs.length).toBeGreaterThan(1000);
    expect(seqs).toEqual(seqs.map((_, i) => i));
  });
});
