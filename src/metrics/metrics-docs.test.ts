import { promises as fsp } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { describe, expect, it } from 'vitest';
import { CrilogMetrics } from './metrics.js';
import { metricsTable, processMetricsList, replaceGenerated, sections } from './metrics-docs.js';

const DOC = fileURLToPath(new URL('../../docs/metrics.md', import.meta.url));

/** docs/metrics.md as it must be: its generated parts from the registry, formatted like the rest. */
async function expected(doc: string): Promise<string> {
  const metrics = new CrilogMetrics({ defaultMetrics: true });
  const all = metrics.registry.getMetricsAsArray() as unknown as Parameters<typeof processMetricsList>[0];
  let text = replaceGenerated(doc, sections.series, metricsTable(metrics.crilogMetrics));
  text = replaceGenerated(text, sections.process, processMetricsList(all));
  const options = (await resolveConfig(DOC)) ?? {};
  return format(text, { ...options, parser: 'markdown' });
}

describe('docs/metrics.md', () => {
  it('lists exactly the series the registry exports, with their HELP texts (npm run docs:metrics updates it)', async () => {
    const doc = await fsp.readFile(DOC, 'utf8');
    const want = await expected(doc);
    if (process.env.CRILOG_UPDATE_DOCS === '1' && want !== doc) await fsp.writeFile(DOC, want);
    else expect(doc, 'docs/metrics.md is out of date: run `npm run docs:metrics`').toBe(want);
  });

  it('names every crilog series once, whatever options turn on', () => {
    const names = new CrilogMetrics({ defaultMetrics: true }).crilogMetrics.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of [
      'crilog_budget_limit_bytes',
      'crilog_budget_used_bytes',
      'crilog_monitor_interval_seconds',
    ])
      expect(names).toContain(name);
  });
});
