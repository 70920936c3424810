import { describe, expect, it } from 'vitest';
import { CrilogError, InvalidOptionError, showValue } from '../errors/crilog-error.js';
import { formatDuration, parseDuration } from './duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

// Go's own ParseDuration cases (time package tests) that fall inside our grammar, plus d/w.
const valid: [string | number, number][] = [
  ['5s', 5 * S],
  ['30s', 30 * S],
  ['1478s', 1478 * S],
  ['-5s', -5 * S],
  ['+5s', 5 * S],
  ['-0s', 0],
  ['+0s', 0],
  ['5.0s', 5 * S],
  ['5.6s', 5.6 * S],
  ['5.s', 5 * S],
  ['.5s', 0.5 * S],
  ['1.0s', S],
  ['1.00s', S],
  ['1.004s', 1004],
  ['1.0040s', 1004],
  ['100.00100s', 100001],
  ['10ns', 0.00001],
  ['11us', 0.011],
  ['12µs', 0.012],
  ['12μs', 0.012],
  ['13ms', 13],
  ['14s', 14 * S],
  ['15m', 15 * M],
  ['16h', 16 * H],
  ['3h30m', 3.5 * H],
  ['10.5s4m', 4 * M + 10.5 * S],
  ['-2m3.4s', -(2 * M + 3.4 * S)],
  ['1h2m3s4ms5us6ns', H + 2 * M + 3 * S + 4.005006],
  ['39h9m14.425s', 39 * H + 9 * M + 14.425 * S],
  ['52763797000ns', 52763.797],
  ['0.3333333333333333333h', 20 * M],
  ['9007199254740993ns', 9007199254.740993],
  ['0.100000000000000000000h', 6 * M],
  ['300ms', 300],
  ['1.5h', 1.5 * H],
  ['2h45m', 2 * H + 45 * M],
  ['10s', 10 * S],
  ['10m', 10 * M],
  ['7d', 7 * D],
  ['1w', 7 * D],
  ['1w2d3h', 9 * D + 3 * H],
  ['1.5d', 36 * H],
  ['2562047h', 2562047 * H], // just under Go's limit
  ['106751d', 106751 * D],
  // numbers (the library's typed options) are milliseconds
  [10_000, 10_000],
  [0.5, 0.5],
  [-1, -1],
];

const invalid: [unknown, RegExp][] = [
  // a string needs a unit: "7" as 7 ms once deleted a node's rotations
  ['0', /a duration needs a unit; write 0ms for milliseconds or 0s for seconds/],
  ['500', /a duration needs a unit; write 500ms/],
  ['1.5', /a duration needs a unit/],
  ['.25', /a duration needs a unit/],
  ['-20', /a duration needs a unit/],
  ['1700000000', /a duration needs a unit/],
  ['', /it is empty/],
  ['-', /it is empty/],
  ['+', /it is empty/],
  ['.', /a number is missing/],
  ['-.', /a number is missing/],
  ['.s', /a number is missing/],
  ['+.s', /a number is missing/],
  ['s', /a number is missing/],
  ['1h s', /unknown unit "h s"/],
  ['1h 30m', /unknown unit "h "/],
  ['1d1', /a unit is missing/],
  ['3000000h', /it is too long/],
  ['9223372036854775808ns', /it is too long/],
  ['106752d', /it is too long/],
  ['10x', /unknown unit "x"/],
  ['10 s', /unknown unit " s"/],
  [' 10s', /a number is missing/],
  ['10S', /unknown unit "S"/],
  ['1e3', /unknown unit "e"/],
  ['1y', /unknown unit "y"/],
  ['10sec', /unknown unit "sec"/],
  ['--1s', /a number is missing/],
  ['1..5s', /a unit is missing/],
  [Number.NaN, /it is not a finite number/],
  [Number.POSITIVE_INFINITY, /it is not a finite number/],
  [undefined, /it is neither a string nor a number/],
];

describe('parseDuration', () => {
  it.each(valid)('%j', (input, ms) => {
    expect(parseDuration(input)).toBeCloseTo(ms, 9);
  });

  it('returns exact integers for whole milliseconds', () => {
    expect(parseDuration('2h45m')).toBe(9_900_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(Object.is(parseDuration('-0s'), 0)).toBe(true);
    expect(Object.is(parseDuration('-0ms'), -0)).toBe(false);
  });

  it.each(invalid)('rejects %j', (input, why) => {
    let error: unknown;
    try {
      parseDuration(input as string, '--monitor-interval');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as CrilogError).code).toBe('ERR_INVALID_OPTION');
    const { message } = error as Error;
    expect(message).toContain(`--monitor-interval ${showValue(input)} is invalid: `);
    expect(error).toMatchObject({ key: '--monitor-interval', value: input });
    expect(message).toMatch(why);
    expect(message).toContain('use a duration such as 300ms, 10s, 1m30s, 2h, 7d or 1w');
  });

  it('names a generic "duration" when no option name is given', () => {
    expect(() => parseDuration('soon')).toThrow(
      /^duration "soon" is invalid: a number is missing; use a duration/,
    );
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [-0, '0s'],
    [10 * S, '10s'],
    [90 * S, '1m30s'],
    [H, '1h'],
    [H + 5 * S, '1h5s'],
    [2 * H + 45 * M, '2h45m'],
    [7 * D, '7d'],
    [D + 2 * H + 3 * M + 4.5 * S, '1d2h3m4.5s'],
    [1500, '1.5s'],
    [999, '999ms'],
    [1.5, '1.5ms'],
    [0.5, '500us'],
    [0.0015, '1.5us'],
    [0.00001, '10ns'],
    [-90 * S, '-1m30s'],
    [365 * D, '365d'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
  ])('%d ms -> %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 250, 1000, 61_001, 3_600_000, 86_399_999, 7 * D + 1, 0.75, 12_345.678]) {
      expect(parseDuration(formatDuration(ms))).toBeCloseTo(ms, 9);
    }
  });
});
