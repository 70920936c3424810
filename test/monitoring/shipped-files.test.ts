import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CrilogMetrics } from '../../src/metrics/metrics.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (p: string) => fsp.readFile(path.join(REPO, p), 'utf8');

interface Rule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Every series name crilog can export (budget and interval ones included), with histogram suffixes. */
function exportedNames(): Set<string> {
  const metrics = new CrilogMetrics({ defaultMetrics: true });
  const all = [
    ...metrics.crilogMetrics,
    ...(metrics.registry.getMetricsAsArray() as unknown as { name: string; type: string }[]),
  ];
  const names = new Set<string>();
  for (const m of all) {
    names.add(m.name);
    if (m.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

/** Series names in PromQL (or in promtool's `series:` selectors). */
const namesIn = (text: string) =>
  [...text.matchAll(/\b((?:crilog|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!);

describe('shipped alert rules and dashboard', () => {
  it('name only series crilog exports (rules, dashboard, and the inputs of the promtool rule tests)', async () => {
    const exported = exportedNames();
    const rules = parse(await read('deploy/monitoring/crilog.rules.yaml')) as { groups: { rules: Rule[] }[] };
    const dash = JSON.parse(await read('deploy/monitoring/crilog-dashboard.json')) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    const tests = parse(await read('test/monitoring/crilog.rules.test.yaml')) as {
      tests: { name: string; input_series: { series: string }[] }[];
    };
    const uses = [
      ...rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, text: r.expr }))),
      ...dash.panels.flatMap((p) =>
        (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, text: t.expr })),
      ),
      ...tests.tests.flatMap((t) =>
        t.input_series.map((i) => ({ where: `rule test "${t.name}"`, text: i.series })),
      ),
    ];
    let count = 0;
    for (const { where, text } of uses)
      for (const name of namesIn(text)) {
        count++;
        expect(exported.has(name), `${where} names ${name}, which crilog does not export`).toBe(true);
      }
    expect(count).toBeGreaterThan(50);
    // The series issue 17 retired must not come back through a copy-paste.
    for (const gone of [
      'crilog_rotated_files_deleted_total',
      'crilog_budget_bytes',
      'crilog_budget_removed_files_total',
    ])
      expect(exported.has(gone), gone).toBe(false);
  });

  it('give every alert a severity, a summary and a runbook section that exists in docs/alerts.md', async () => {
    const doc = parse(await read('deploy/monitoring/crilog.rules.yaml')) as { groups: { rules: Rule[] }[] };
    const runbooks = await read('docs/alerts.md');
    const headings = new Set([...runbooks.matchAll(/^## (\S+)$/gm)].map((m) => m[1]!.toLowerCase()));
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'CrilogRuntimeUnreachable',
        'CrilogNoSuccessfulPass',
        'CrilogLiveLogFarOverLimit',
        'CrilogCompressionsFailing',
        'CrilogCompressionsSkipped',
        'CrilogBudgetNearlyUsed',
        'CrilogDiskPressure',
        'CrilogConfigReloadRejected',
      ]),
    );
    for (const rule of rules) {
      expect(['critical', 'warning', 'info'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.runbook, rule.alert).toBe(`docs/alerts.md#${rule.alert.toLowerCase()}`);
      expect(headings.has(rule.alert.toLowerCase()), `docs/alerts.md has no "## ${rule.alert}"`).toBe(true);
    }
    // A runbook for every alert, and no runbook without one.
    expect([...headings].sort()).toEqual(rules.map((r) => r.alert.toLowerCase()).sort());
  });

  it('ship the same rules and dashboard in the Helm chart as in deploy/monitoring', async () => {
    expect(await read('deploy/helm/crilog/files/crilog.rules.yaml')).toBe(
      await read('deploy/monitoring/crilog.rules.yaml'),
    );
    expect(await read('deploy/helm/crilog/files/crilog-dashboard.json')).toBe(
      await read('deploy/monitoring/crilog-dashboard.json'),
    );
  });

  it('has a dashboard whose panels all query the data source variable and have unique ids', async () => {
    const dash = JSON.parse(await read('deploy/monitoring/crilog-dashboard.json')) as {
      uid: string;
      panels: { id: number; type: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
    };
    expect(dash.uid).toBe('crilog-overview');
    const ids = dash.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dash.panels.filter((x) => x.type !== 'row')) {
      expect(p.datasource?.uid).toBe('${datasource}');
      expect(p.targets?.length).toBeGreaterThan(0);
    }
  });
});
