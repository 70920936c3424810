import { describe, expect, it } from 'vitest';
import { parseTimestamp } from './timestamp.js';

describe('parseTimestamp', () => {
  it.each([
    ['2026-11-27T10:00:00Z', Date.parse('2026-11-27T10:00:00Z')],
    ['2026-11-27T10:00:00.123456789Z', Date.parse('2026-11-27T10:00:00.123Z')],
    ['2026-11-27T10:00:00.9Z', Date.parse('2026-11-27T10:00:00.900Z')],
    ['2026-11-27T10:00:00.05Z', Date.parse('2026-11-27T10:00:00.050Z')],
    ['2026-11-27T12:30:00.5+02:30', Date.parse('2026-11-27T10:00:00.500Z')],
    ['2026-11-27t08:00:00-02:00', Date.parse('2026-11-27T10:00:00Z')],
  ])('%s', (text, ms) => {
    expect(parseTimestamp(text)).toBe(ms);
  });

  it.each([
    '',
    '2026-11-27',
    '2026-11-27 10:00:00Z',
    '2026-13-27T10:00:00Z',
    '2026-11-27T10:00:00',
    '2026-11-27T10:00:00.Z',
    '2026-11-27T10:00:00+0200',
    'x026-11-27T10:00:00Z',
  ])('rejects %j', (text) => {
    expect(parseTimestamp(text)).toBeNaN();
  });

  it('truncates to the millisecond so cuts compare exactly', () => {
    const cut = Date.parse('2026-11-27T10:00:00.001Z');
    expect(parseTimestamp('2026-11-27T10:00:00.000999999Z') < cut).toBe(true);
    expect(parseTimestamp('2026-11-27T10:00:00.001000000Z') < cut).toBe(false);
  });
});
