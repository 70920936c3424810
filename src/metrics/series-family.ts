import type { Metric } from './metric.js';

/** A label set: label name to value (names outside the family's are ignored). */
export type LabelSet = Readonly<Record<string, string>>;

/** As prom-client writes a sample value (`Nan`, `+Inf`, `-Inf` included), so both renderings agree. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return `${value}`;
}

/** A label value escaped for the text format: backslash, newline and double quote. */
const escapeLabel = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
/** A HELP text escaped for the text format: backslash and newline. */
const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

interface Sample {
  /** `{name="value",...}`, rendered once per label set, not once per scrape. */
  labels: string;
  value: number;
}

/**
 * One labelled gauge or counter family rendered by crilog itself instead of prom-client, for series
 * that are many (one per container) and rarely change: each label set is escaped once, when it first
 * appears, and the family's text is rendered again only after a value, a series or the set of series
 * changed (`version` tells when). On an idle node a scrape then costs no formatting and no garbage
 * for these series, where prom-client escapes every label of every series on every scrape.
 * Series are identified by their label values (like prom-client), whatever object carries them.
 */
export class SeriesFamily implements Metric {
  readonly #samples = new Map<string, Sample>();
  /** Label text per label object seen: the callers pass the same objects again and again. */
  #rendered = new WeakMap<LabelSet, string>();
  #version = 0;
  #text: { version: number; text: string } | undefined;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'gauge' | 'counter',
    readonly labelNames: readonly string[],
  ) {}

  /** Bumped by every change a scrape would see; never decreases. */
  get version(): number {
    return this.#version;
  }

  /** Sets a series' value, creating the series. */
  set(labels: LabelSet, value: number): void {
    const key = this.#labels(labels);
    const sample = this.#samples.get(key);
    if (!sample) this.#samples.set(key, { labels: key, value });
    else if (Object.is(sample.value, value)) return;
    else sample.value = value;
    this.#version++;
  }

  /** Adds to a series' value, creating the series at 0 first; a counter cannot decrease. */
  inc(labels: LabelSet, by = 1): void {
    if (this.type === 'counter' && by < 0)
      throw new Error(`counter ${this.name} cannot decrease (inc by ${by})`);
    const sample = this.#samples.get(this.#labels(labels));
    this.set(labels, (sample?.value ?? 0) + by);
  }

  /** The value of a series, or undefined when it does not exist. */
  get(labels: LabelSet): number | undefined {
    return this.#samples.get(this.#labels(labels))?.value;
  }

  /** Removes a series; nothing when it does not exist. */
  remove(labels: LabelSet): void {
    if (this.#samples.delete(this.#labels(labels))) this.#version++;
  }

  /** Number of series. */
  get size(): number {
    return this.#samples.size;
  }

  /**
   * The family in the text exposition format: HELP, TYPE (always, like prom-client, even without
   * series), then one line per series; no trailing newline. Rendered again only after a change.
   */
  text(): string {
    if (this.#text?.version === this.#version) return this.#text.text;
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const s of this.#samples.values()) lines.push(`${this.name}${s.labels} ${formatValue(s.value)}`);
    const text = lines.join('\n');
    this.#text = { version: this.#version, text };
    return text;
  }

  #labels(labels: LabelSet): string {
    const known = this.#rendered.get(labels);
    if (known !== undefined) return known;
    const parts: string[] = [];
    for (const name of this.labelNames) {
      const value = labels[name];
      if (value !== undefined) parts.push(`${name}="${escapeLabel(value)}"`);
    }
    const text = parts.length > 0 ? `{${parts.join(',')}}` : '';
    // Only frozen label objects are remembered (ContainerSeries freezes its own): a mutable one could
    // change after its text was cached, and would then be rendered with its old values.
    if (Object.isFrozen(labels)) this.#rendered.set(labels, text);
    return text;
  }
}
