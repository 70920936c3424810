/** Column alignment. */
export type Align = 'left' | 'right';

/**
 * Renders rows as a plain-text table with a header, columns separated by two spaces, and no trailing
 * blanks. Cells are single-line: newlines (possible in file names) are shown escaped.
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const clean = (s: string) => s.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
  const all = [headers.map(clean), ...rows.map((r) => r.map(clean))];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) =>
      widths
        .map((w, i) => {
          const cell = r[i] ?? '';
          return align[i] === 'right' ? cell.padStart(w) : cell.padEnd(w);
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}
