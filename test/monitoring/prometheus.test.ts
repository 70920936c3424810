import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { useBuiltCli } from '../cli/build-cli.js';
import { startDaemon, startRuntimeServe, type CrilogProcess } from './crilog-processes.js';
import { PrometheusServer, prometheusTools, run, type PrometheusTools } from './prometheus-harness.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RULES = path.join(REPO, 'deploy/monitoring/crilog.rules.yaml');
const DASHBOARD = path.join(REPO, 'deploy/monitoring/crilog-dashboard.json');
const RULES_TEST = path.join(REPO, 'test/monitoring/crilog.rules.test.yaml');

const tools = prometheusTools();
const skip = typeof tools === 'string';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
}

/** Every panel query of the dashboard, with Grafana's variables replaced as Grafana would. */
async function dashboardQueries(): Promise<{ panel: string; expr: string }[]> {
  const dash = JSON.parse(await fsp.readFile(DASHBOARD, 'utf8')) as {
    panels: { title: string; targets?: { expr: string }[] }[];
  };
  return dash.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      panel: p.title,
      // The scrape interval is 1 s here; Grafana would pick a range of at least four of them.
      expr: t.expr.replaceAll('$__rate_interval', '15s').replaceAll('$instance', '.*'),
    })),
  );
}

describe.skipIf(skip)('monitoring against a real Prometheus (Debian prometheus, promtool)', () => {
  const cli = useBuiltCli();
  const { promtool } = tools as PrometheusTools;
  let dir: string;
  let runtime: CrilogProcess;
  let daemon: CrilogProcess;
  let metricsUrl: string;
  let prometheus: PrometheusServer;
  let rules: Rule[];

  beforeAll(async () => {
    // Not tempDir(): that one is removed after each test, and this one serves the whole file.
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'crilog-prom-'));
    const logRoot = path.join(dir, 'logs');
    // Two fast writers: logs reach the 16 KiB limit many times a second.
    const writer = (tag: string) =>
      `const l = '${tag} ' + 'x'.repeat(300); setInterval(() => { for (let i = 0; i < 20; i++) console.log(l); }, 20)`;
    const served = await startRuntimeServe(cli.main, dir, logRoot, [
      { name: 'orders-api', script: writer('orders') },
      { name: 'web', script: writer('web') },
    ]);
    runtime = served.process;
    const started = await startDaemon(cli.main, [
      '--runtime-endpoint',
      served.endpoint,
      '--log-root',
      logRoot,
      '--lock-file',
      path.join(dir, 'daemon.lock'),
      '--metrics-address',
      '127.0.0.1:0',
      '--max-size',
      '16Ki',
      '--max-files',
      '3',
      '--monitor-interval',
      '1s',
      '--max-total-size',
      '10Mi',
    ]);
    daemon = started.process;
    metricsUrl = started.url;
    // The shipped rules, with `for:` cut to 2 s so that an alert fires within the test.
    const doc = parse(await fsp.readFile(RULES, 'utf8')) as { groups: { rules: Rule[] }[] };
    for (const group of doc.groups) for (const rule of group.rules) rule.for = '2s';
    rules = doc.groups.flatMap((g) => g.rules);
    await fsp.writeFile(path.join(dir, 'rules.yaml'), stringify(doc));
    prometheus = await PrometheusServer.start(
      tools as PrometheusTools,
      dir,
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [path.join(dir, 'rules.yaml')],
        scrape_configs: [{ job_name: 'crilog', static_configs: [{ targets: [new URL(metricsUrl).host] }] }],
      }),
    );
  }, 180_000);

  afterAll(async () => {
    await prometheus?.stop();
    await daemon?.stop();
    await runtime?.stop();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('ships rules that promtool accepts', async () => {
    const res = await run(promtool, ['check', 'rules', RULES]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('ships rules that fire, and stay quiet, as their promtool unit tests expect', async () => {
    // Every alert fires on a node in trouble (with its annotations rendered) and none on a healthy one.
    const res = await run(promtool, ['test', 'rules', RULES_TEST]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(/SUCCESS/);
  });

  it('serves a scrape that passes promtool check metrics', async () => {
    // Wait for a rotation and a compression, so that every series has had samples.
    await daemon.logLine('rotated');
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(text).toMatch(/^process_resident_memory_bytes /m);
    expect(text).toMatch(
      /^crilog_live_log_size_ratio\{namespace="default",pod="orders-api",container="orders-api",container_id="[^"]+"\} /m,
    );
    const res = await run(promtool, ['check', 'metrics'], text);
    expect(res.stdout + res.stderr).toBe('');
    expect(res.code).toBe(0);
  });

  it('evaluates every dashboard query and sees logs rotated', async () => {
    await prometheus.waitFor('the crilog target to be up', async () => {
      const [up] = await prometheus.query('up{job="crilog"}');
      return up?.value[1] === '1' ? true : undefined;
    });
    let seen: unknown;
    const rate = await prometheus
      .waitFor('a positive rotation rate', async () => {
        const answer = await prometheus.query('sum(rate(crilog_rotations_total{outcome="success"}[15s]))');
        seen = answer;
        const v = Number(answer[0]?.value[1]);
        return v > 0 ? v : undefined;
      })
      .catch(async (err: Error) => {
        const scrape = await (await fetch(`${metricsUrl}/metrics`)).text();
        const raw = await prometheus.query('crilog_rotations_total[20s]');
        throw new Error(
          `${err.message}; last answer ${JSON.stringify(seen)}; stored ${JSON.stringify(raw)}; scrape: ${scrape.match(/^crilog_rotations_total.*$/gm)?.join(', ')}; daemon: ${daemon.output.slice(-800)}`,
        );
      });
    expect(rate).toBeGreaterThan(0);
    const scraped = await (await fetch(`${metricsUrl}/metrics`)).text();
    const queries = await dashboardQueries();
    expect(queries.length).toBeGreaterThan(20);
    for (const { panel, expr } of queries) {
      const result = await prometheus.query(expr);
      // Where every series a query names is exported, it must find them (catches a misspelt name).
      const names = [...expr.matchAll(/\b((?:crilog|process)_[a-z_]+)/g)].map((m) =>
        m[1]!.replace(/_(bucket|sum|count)$/, ''),
      );
      if (names.every((n) => new RegExp(`^# TYPE ${n} `, 'm').test(scraped)))
        expect(result.length, `panel "${panel}": ${expr}`).toBeGreaterThan(0);
    }
  }, 120_000);

  it('serves a scrape promtool accepts, per-container series (sent from a cached Buffer) included', async () => {
    const res = await fetch(`${metricsUrl}/metrics`);
    const body = await res.text();
    // The body is sent in parts: their lengths must add up to what the header promised.
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(body));
    for (const name of ['orders-api', 'web'])
      expect(body).toMatch(new RegExp(`^crilog_live_log_size_ratio\\{[^}]*container="${name}"`, 'm'));
    const check = await run(promtool, ['check', 'metrics'], body);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });

  it('evaluates every alert expression, and fires CrilogRuntimeUnreachable when the runtime goes away', async () => {
    for (const rule of rules) await prometheus.query(rule.expr);
    const groups = await prometheus.waitFor('every rule evaluated once', async () => {
      const answer = await prometheus.api<{
        groups: { rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[] }[];
      }>('rules');
      const all = answer.data.groups.flatMap((g) => g.rules);
      return all.length === rules.length && all.every((r) => !r.lastEvaluation.startsWith('0001'))
        ? all
        : undefined;
    });
    for (const r of groups) expect(r.health, `${r.name}: ${r.lastError ?? ''}`).toBe('ok');
    const firingNow = await prometheus.api<{ alerts: { labels: { alertname: string } }[] }>('alerts');
    expect(firingNow.data.alerts.map((a) => a.labels.alertname)).not.toContain('CrilogRuntimeUnreachable');

    await runtime.stop();
    const alert = await prometheus.waitFor(
      'CrilogRuntimeUnreachable to fire',
      async () => {
        const answer = await prometheus.api<{
          alerts: { labels: Record<string, string>; state: string; annotations: Record<string, string> }[];
        }>('alerts');
        return answer.data.alerts.find(
          (a) => a.labels.alertname === 'CrilogRuntimeUnreachable' && a.state === 'firing',
        );
      },
      90_000,
    );
    expect(alert.labels.severity).toBe('critical');
    expect(alert.annotations.summary).toContain('cannot reach the container runtime');
    expect(alert.annotations.runbook).toBe('docs/alerts.md#crilogruntimeunreachable');
  }, 150_000);
});
