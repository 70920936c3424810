import { InvalidOptionError } from '../errors/crilog-error.js';
import { parseQuantity } from './quantity.js';

/** A lower bound on free space or free inodes: a share of the filesystem, or an absolute amount. */
export type FreeThreshold = { percent: number } | { amount: number };

/** The rule every message about a free-space floor states; `example` is an amount (`5Gi`, `100k`). */
export function freeThresholdRule(example: string): string {
  return `must be a percentage of the filesystem such as 10%, or an amount such as ${example}; 0 turns the check off`;
}

/**
 * Parses `10%`, `2.5%`, or an amount: a quantity such as `5Gi` (bytes) or `100k` (inodes). `0` or
 * `0%` turns the check off. Throws InvalidOptionError with the value, the rule and an example.
 */
export function parseFreeThreshold(text: string, example: string): FreeThreshold {
  const rule = freeThresholdRule(example);
  const value = text.trim();
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(value);
  if (pct) {
    const percent = Number(pct[1]);
    if (percent >= 100) throw new InvalidOptionError({ key: 'value', value: text, rule });
    return { percent };
  }
  let amount: number;
  try {
    amount = parseQuantity(value);
  } catch (cause) {
    throw new InvalidOptionError({ key: 'value', value: text, rule }, { cause });
  }
  if (!Number.isSafeInteger(amount) || amount < 0)
    throw new InvalidOptionError({ key: 'value', value: text, rule });
  return { amount };
}

/** As a user would write it, for messages and logs. */
export function formatThreshold(t: FreeThreshold): string {
  return 'percent' in t ? `${t.percent}%` : String(t.amount);
}
