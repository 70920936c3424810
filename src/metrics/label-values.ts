import type { Counter, Registry } from 'prom-client';

/**
 * Values each label takes, exported at 0 from the start so that `rate()` and `increase()` work before
 * the first event. A feature that adds a value adds it here.
 */
export const LABEL_VALUES = {
  crilog_rotations_total: { outcome: ['success', 'reopen_failed', 'error'] },
  crilog_compressions_total: { outcome: ['success', 'error', 'skipped'] },
  crilog_runtime_errors_total: { method: ['listContainers', 'containerStatus', 'reopenContainerLog'] },
  crilog_removed_files_total: { reason: ['max-files', 'max-age', 'budget', 'disk-pressure'] },
  crilog_config_reload_total: { outcome: ['success', 'rejected'] },
  crilog_passes_total: { result: ['ok', 'error'], kind: ['full', 'quick'] },
  crilog_trigger_checks_total: { source: ['watch', 'poll'] },
} as const satisfies Record<string, Record<string, readonly string[]>>;

/** Creates every series of `LABEL_VALUES` (each combination of its labels' values) at 0 in `registry`. */
export function zeroLabels(registry: Registry): void {
  for (const [name, labels] of Object.entries(LABEL_VALUES)) {
    const metric = registry.getSingleMetric(name) as Counter<string>;
    const combos = Object.entries(labels as Record<string, readonly string[]>).reduce<
      Record<string, string>[]
    >((acc, [label, values]) => acc.flatMap((c) => values.map((v) => ({ ...c, [label]: v }))), [{}]);
    for (const combo of combos) metric.inc(combo, 0);
  }
}
