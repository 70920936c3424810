/**
 * The parts of docs/configuration.md and the Helm chart's values.schema.json that are derived from the
 * settings table. `generated.test.ts` fails when the files differ; `npm run gen:settings` rewrites them.
 */
import {
  defaultText,
  FILE_KEYS,
  LIBRARY_KEYS,
  SETTINGS,
  SETTING_KEYS,
  type Setting,
  type SettingKey,
} from '../../src/settings/index.js';

const spec = (key: SettingKey) => SETTINGS[key] as Setting<unknown>;
const code = (text: string) => `\`${text}\``;
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function flagCell(s: Setting<unknown>): string {
  if (s.flag === undefined) return '—';
  if (s.kind.boolean) return `${code(s.flag)} / ${code(`--no-${s.flag.slice(2)}`)}`;
  return `${code(`${s.flag} <${s.kind.placeholder}>`)}${s.kind.repeatable ? ' (repeatable)' : ''}`;
}

function defaultCell(s: Setting<unknown>): string {
  if (s.defaultText !== undefined) return s.defaultText.startsWith('$') ? code(s.defaultText) : s.defaultText;
  if (Array.isArray(s.default)) return code(`[${s.default.join(', ')}]`);
  return code(defaultText(s));
}

const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** The table of every setting. */
export function optionsTable(): string {
  const rows = SETTING_KEYS.map((key) => {
    const s = spec(key);
    const fileKey = s.file === false ? '—' : code(key);
    return [
      flagCell(s),
      fileKey,
      s.env ? code(s.env) : '—',
      defaultCell(s),
      s.details ?? `${capital(s.help)}.`,
    ];
  });
  return table(['Flag', 'YAML key', 'Environment', 'Default', 'Rule'], rows);
}

/** The table of `crilog.io/*` annotations and the operator bounds on each. */
export function annotationsTable(): string {
  const rows = SETTING_KEYS.filter((k) => spec(k).annotation !== undefined).map((key) => {
    const s = spec(key);
    const doc = s.annotationDoc;
    const bounds = (doc?.boundedBy ?? []).map((b) => code(spec(b as SettingKey).flag ?? b)).join(', ');
    return [code(s.annotation as string), doc?.value ?? s.kind.placeholder, code(key), bounds || '—'];
  });
  return table(['Key', 'Value', 'Overrides', 'Bounded by'], rows);
}

/** The library's options and where their defaults differ. */
export function libraryTable(): string {
  const rows = LIBRARY_KEYS.map((key) => {
    const s = spec(key);
    const def =
      'libraryDefault' in s
        ? `${code(String(s.libraryDefault))} (the daemon: ${defaultCell(s)})`
        : defaultCell(s);
    return [code(key), s.kind.placeholder, def, s.nodeWide ? 'yes' : 'no'];
  });
  return table(['Option', 'Type', 'Default', 'Node-wide'], rows);
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Keys the chart derives from other values (the chart's template refuses them in `config:`). */
const CHART_DERIVED = new Set(['runtimeEndpoint', 'logRoots', 'metricsAddress', 'containers']);

/** The JSON Schema of the chart's `config:` value. */
export function chartConfigSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const key of FILE_KEYS) {
    if (CHART_DERIVED.has(key)) continue;
    const s = spec(key);
    properties[key] = {
      description: `${capital(s.help)}. Default: ${defaultText(s)}.`,
      ...s.kind.schema,
    };
  }
  return {
    type: 'object',
    description: "crilog's config.yaml (docs/configuration.md); generated from src/settings/table.ts.",
    additionalProperties: false,
    properties,
  };
}

/** The chart's values.schema.json: whatever it holds, with `properties.config` generated. */
export function valuesSchema(existing: string | undefined): string {
  const base = existing
    ? (JSON.parse(existing) as Record<string, unknown>)
    : { $schema: 'https://json-schema.org/draft-07/schema#', type: 'object', properties: {} };
  const properties = { ...((base.properties as Record<string, unknown> | undefined) ?? {}) };
  properties.config = chartConfigSchema();
  return `${JSON.stringify({ ...base, properties }, null, 2)}\n`;
}

/** Replaces the text between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`. */
export function replaceGenerated(doc: string, name: string, body: string): string {
  const start = `<!-- generated:${name} (from src/settings/table.ts; npm run gen:settings) -->`;
  const end = `<!-- /generated:${name} -->`;
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error(`docs: markers for "${name}" are missing`);
  return `${doc.slice(0, from + start.length)}\n\n${body}\n\n${doc.slice(to)}`;
}
