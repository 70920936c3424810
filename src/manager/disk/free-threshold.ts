import type { FreeThreshold } from '../../units/free-threshold.js';

export type { FreeThreshold } from '../../units/free-threshold.js';
export { formatThreshold } from '../../units/free-threshold.js';

/**
 * Free space must climb this much past the threshold before an episode ends, so that crilog does not
 * flap between acting and resting while a writer hovers around the threshold: 20 % of the threshold.
 */
export const HYSTERESIS = 0.2;

/** The threshold as an amount for a filesystem of `total` (bytes or inodes). */
export function thresholdAmount(t: FreeThreshold, total: number): number {
  return 'percent' in t ? (total * t.percent) / 100 : t.amount;
}

/** True when the threshold is 0: never under pressure. */
export function isOff(t: FreeThreshold): boolean {
  return ('percent' in t ? t.percent : t.amount) === 0;
}
