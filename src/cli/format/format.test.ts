import { describe, expect, it } from 'vitest';
import { renderTable } from './table.js';
import { formatAgo, formatBytes, formatDuration } from './units.js';

describe('renderTable', () => {
  it('aligns columns and escapes newlines', () => {
    expect(
      renderTable(
        ['A', 'BB'],
        [
          ['x', '1'],
          ['long\nname', '22'],
        ],
        ['left', 'right'],
      ),
    ).toBe('A           BB\nx            1\nlong\\nname  22\n');
  });
});

describe('units', () => {
  it.each([
    [0, '0B'],
    [1023, '1023B'],
    [1024, '1Ki'],
    [1536, '1.5Ki'],
    [10 * 1024 * 1024, '10Mi'],
    [150 * 1024 * 1024, '150Mi'],
    [null, '-'],
    [-2048, '-2Ki'],
  ])('formatBytes(%s) = %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });

  it('formats ages and durations', () => {
    const now = new Date('2026-01-01T01:00:00Z');
    expect(formatAgo('2026-01-01T00:59:50Z', now)).toBe('10s ago');
    expect(formatAgo('2026-01-01T00:30:00Z', now)).toBe('30m ago');
    expect(formatAgo('2025-12-30T01:00:00Z', now)).toBe('2d ago');
    expect(formatAgo(null, now)).toBe('-');
    expect(formatDuration(12.4)).toBe('12ms');
    expect(formatDuration(1500)).toBe('1.5s');
  });
});
