/** Small numeric helpers shared by the benchmarks. */

/**
 * @param {readonly number[]} values
 * @returns {number | null} the median, or null for no values
 */
export function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2
    ? /** @type {number} */ (v[mid])
    : /** @type {number} */ (v[mid - 1] + /** @type {number} */ (v[mid])) / 2;
}

/**
 * @param {number | null | undefined} a
 * @param {number | null | undefined} b
 * @returns {number | null} a / b rounded to 3 decimals, or null when either is unknown or b is 0
 */
export function ratio(a, b) {
  if (a == null || b == null || b === 0) return null;
  return Math.round((a / b) * 1000) / 1000;
}

/**
 * Medians of every numeric key over a list of records with the same shape.
 * @param {readonly Record<string, unknown>[]} records
 * @returns {Record<string, number | null>}
 */
export function medians(records) {
  /** @type {Record<string, number | null>} */
  const out = {};
  const keys = new Set(
    records.flatMap((r) => Object.keys(r).filter((k) => typeof r[k] === 'number' || r[k] === null)),
  );
  for (const k of keys) out[k] = median(records.map((r) => /** @type {number} */ (r[k])));
  return out;
}
