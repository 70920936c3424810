import { CONTAINER_LABELS } from './container-series.js';
import type { Metric } from './metric.js';
import { LABEL_VALUES } from './label-values.js';

/** The generated parts of docs/metrics.md, each between a BEGIN and an END marker. */
export const sections = {
  series: 'metrics table',
  process: 'process metrics',
} as const;

const cell = (text: string) => text.replace(/\|/g, '\\|');

function labels(metric: Metric): string {
  if (metric.labelNames.length === 0) return '—';
  const known = (LABEL_VALUES as Record<string, Record<string, readonly string[]>>)[metric.name];
  if (CONTAINER_LABELS.every((l) => metric.labelNames.includes(l)))
    return `${CONTAINER_LABELS.map((l) => `\`${l}\``).join(', ')} (per container)`;
  return metric.labelNames
    .map((l) => {
      const values = known?.[l];
      return values ? `\`${l}\`: ${values.map((v) => `\`${v}\``).join(', ')}` : `\`${l}\``;
    })
    .join('; ');
}

/** The series table of docs/metrics.md, from the metrics themselves: name, type, labels and HELP. */
export function metricsTable(metrics: readonly Metric[]): string {
  const rows = metrics.map((m) => `| \`${m.name}\` | ${m.type} | ${cell(labels(m))} | ${cell(m.help)} |`);
  return ['| Name | Type | Labels | Meaning (the HELP text) |', '| --- | --- | --- | --- |', ...rows].join(
    '\n',
  );
}

/** The process metrics the daemon exports, by name and type. */
export function processMetricsList(metrics: readonly Metric[]): string {
  return metrics
    .filter((m) => !m.name.startsWith('crilog_'))
    .map((m) => `\`${m.name}\` (${m.type})`)
    .join(', ');
}

/** `doc` with the part between the markers of `section` replaced by `generated`; throws without them. */
export function replaceGenerated(doc: string, section: string, generated: string): string {
  const begin = new RegExp(`<!-- BEGIN GENERATED: ${section} [^>]*-->`).exec(doc);
  const endMarker = `<!-- END GENERATED: ${section} -->`;
  const end = doc.indexOf(endMarker);
  if (!begin || end < begin.index)
    throw new Error(
      `docs/metrics.md lacks the markers <!-- BEGIN GENERATED: ${section} … --> … ${endMarker}`,
    );
  return `${doc.slice(0, begin.index + begin[0].length)}\n\n${generated}\n\n${doc.slice(end)}`;
}
