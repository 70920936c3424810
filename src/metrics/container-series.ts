import { containerIdentity } from '../ports/container-identity.js';
import type { ContainerInfo } from '../ports/runtime-service.js';

/** Label names of every per-container series, in this order. */
export const CONTAINER_LABELS = ['namespace', 'pod', 'container', 'container_id'] as const;

/** The label set of one container's series. */
export type ContainerLabels = Record<(typeof CONTAINER_LABELS)[number], string>;

/** Where a gauge of per-container series goes (crilog's SeriesFamily; prom-client's Gauge fits too). */
export interface GaugeSink {
  set(labels: ContainerLabels, value: number): void;
  remove(labels: ContainerLabels): void;
}

/** Where a counter of per-container series goes (crilog's SeriesFamily; prom-client's Counter fits too). */
export interface CounterSink {
  inc(labels: ContainerLabels, by: number): void;
  remove(labels: ContainerLabels): void;
}

/** What the runtime last said about a container (its names), or undefined when it is not known yet. */
export type IdentifyContainer = (id: string) => Pick<ContainerInfo, 'labels' | 'metadata'> | undefined;

/**
 * Kubernetes names allow 253 characters; a runtime outside Kubernetes may report anything, so longer
 * values are cut to keep one hostile name from bloating every scrape.
 */
const MAX_LABEL = 253;

/** The label set for a container id: names from the runtime (empty when unknown) and the id itself. */
export function containerLabels(id: string, identify: IdentifyContainer | undefined): ContainerLabels {
  const info = identify?.(id);
  const who = info ? containerIdentity(info) : undefined;
  const cut = (s: string | undefined) => (s ?? '').slice(0, MAX_LABEL);
  // Frozen: the families render a label set once and recognise the same object afterwards.
  return Object.freeze({
    namespace: cut(who?.namespace),
    pod: cut(who?.pod),
    container: cut(who?.container),
    container_id: cut(id),
  });
}

const same = (a: ContainerLabels, b: ContainerLabels) => CONTAINER_LABELS.every((k) => a[k] === b[k]);

/**
 * The per-container series, with bounded cardinality: a container's series exist only while passes
 * manage it and are removed with it, and `enabled: false` (very large nodes) exports none at all while
 * the node-wide series that are derived from the same observations keep working.
 */
export class ContainerSeries {
  /** Latest live size ratio of every managed container (kept even when series are disabled). */
  readonly #ratios = new Map<string, number>();
  /** Label set each container's series were exported under. */
  readonly #labels = new Map<string, ContainerLabels>();

  #enabled: boolean;

  constructor(
    private readonly series: { liveRatio: GaugeSink; rotatedBytes: CounterSink },
    private readonly identify: IdentifyContainer | undefined,
    enabled: boolean,
  ) {
    this.#enabled = enabled;
  }

  /** Whether per-container series are exported. */
  get enabled(): boolean {
    return this.#enabled;
  }

  /**
   * Turns the series on or off (a live reload): off removes every one at once; on exports ratios from
   * the next observation and rotated bytes from 0.
   */
  set enabled(on: boolean) {
    if (on === this.#enabled) return;
    this.#enabled = on;
    if (on) return;
    for (const labels of this.#labels.values()) this.#remove(labels);
    this.#labels.clear();
  }

  /** Records a container's live size ratio. */
  observeRatio(id: string, ratio: number): void {
    this.#ratios.set(id, ratio);
    if (this.#enabled) this.series.liveRatio.set(this.#labelsOf(id), ratio);
  }

  /** Forgets a container's ratio: it stopped writing, so its live log is no longer rotated. */
  dropRatio(id: string): void {
    this.#ratios.delete(id);
    const labels = this.#labels.get(id);
    if (labels) this.series.liveRatio.remove(labels);
  }

  /** Adds the bytes of a live log the container had rotated. */
  rotated(id: string, bytes: number): void {
    if (this.#enabled) this.series.rotatedBytes.inc(this.#labelsOf(id), bytes);
  }

  /** Largest current live size ratio over managed containers; 0 with none. */
  get currentMax(): number {
    let max = 0;
    for (const r of this.#ratios.values()) if (r > max) max = r;
    return max;
  }

  /** Removes the series (and the ratio) of every container not in `ids`. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.#ratios.keys()) if (!ids.has(id)) this.#ratios.delete(id);
    for (const [id, labels] of this.#labels) {
      if (ids.has(id)) continue;
      this.#remove(labels);
      this.#labels.delete(id);
    }
  }

  #labelsOf(id: string): ContainerLabels {
    const now = containerLabels(id, this.identify);
    const before = this.#labels.get(id);
    if (before && same(before, now)) return before;
    // Names learnt after the first observation (or changed): the old label set must not linger.
    if (before) this.#remove(before);
    this.#labels.set(id, now);
    return now;
  }

  #remove(labels: ContainerLabels): void {
    this.series.liveRatio.remove(labels);
    this.series.rotatedBytes.remove(labels);
  }
}
