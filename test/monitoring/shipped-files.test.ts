import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (p: string) => fsp.readFile(path.join(REPO, p), 'utf8');

interface Rule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

describe('shipped alert rules and dashboard', () => {
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
