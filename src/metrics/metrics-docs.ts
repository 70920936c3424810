import { CONTAINER_LABELS } from './container-series.js';
import { LABEL_VALUES, type Metric } from './metrics.js';

/** Markers around the generated part of docs/metrics.md. */
export const DOCS_BEGIN = '<!-- BEGIN GENERATED: metrics table (npm run docs:metrics) -->';
export const DOCS_END = '<!-- END GENERATED: metrics table -->';

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

/** `doc` with the part between the markers replaced by `generated`; throws when a marker is missing. */
export function replaceGenerated(doc: string, generated: string): string {
  const begin = doc.indexOf(DOCS_BEGIN);
  const end = doc.indexOf(DOCS_END);
  if (begin < 0 || end < begin)
    throw new Error(`docs/metrics.md lacks the markers ${DOCS_BEGIN} … ${DOCS_END}`);
  return `${doc.slice(0, begin + DOCS_BEGIN.length)}\n\n${generated}\n\n${doc.slice(end)}`;
}
