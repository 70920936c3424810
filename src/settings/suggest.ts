/** Closest known key, for "did you mean" hints (case and separators ignored, then edit distance 2). */
export function suggest(key: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const exact = known.find((k) => norm(k) === norm(key) || norm(k) === `${norm(key)}s`);
  if (exact) return exact;
  return known.find((k) => editDistance(norm(k), norm(key)) <= 2);
}

function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let col = 1; col <= b.length; col++) rows[0]![col] = col;
  for (let row = 1; row <= a.length; row++)
    for (let col = 1; col <= b.length; col++)
      rows[row]![col] = Math.min(
        rows[row - 1]![col]! + 1,
        rows[row]![col - 1]! + 1,
        rows[row - 1]![col - 1]! + (a[row - 1] === b[col - 1] ? 0 : 1),
      );
  return rows[a.length]![b.length]!;
}
