import { describe, expect, it } from 'vitest';
import { compareKeys, formatStamp, nextKey, parseRotatedName, rotatedPath } from './naming.js';

describe('parseRotatedName', () => {
  it.each([
    ['0.log.20260101-120000', { stamp: '20260101-120000', seq: 0, codec: null, tmp: false }],
    ['0.log.20260101-120000.gz', { stamp: '20260101-120000', seq: 0, codec: 'gzip', tmp: false }],
    ['0.log.20260101-120000-3.zst', { stamp: '20260101-120000', seq: 3, codec: 'zstd', tmp: false }],
    ['0.log.20260101-120000.tmp', { stamp: '20260101-120000', seq: 0, codec: null, tmp: true }],
    ['0.log.20260101-120000-2.tmp', { stamp: '20260101-120000', seq: 2, codec: null, tmp: true }],
  ])('%s', (name, expected) => {
    expect(parseRotatedName('0.log', name)).toEqual(expected);
  });

  it.each([
    '0.log',
    '0.log.bak',
    '0.logx.20260101-120000',
    '0.log-20260101-120000',
    '1.log.20260101-120000',
    '0.log.2026010-120000',
    '0.log.20260101-120000.gz.gz',
  ])('ignores %s', (name) => {
    expect(parseRotatedName('0.log', name)).toBeNull();
  });
});

describe('ordering', () => {
  it('sorts by time and sequence, regardless of the .gz suffix that breaks plain string order', () => {
    const names = [
      '0.log.20260101-120000-1',
      '0.log.20260101-120000.gz',
      '0.log.20260101-115959.gz',
      '0.log.20260101-120000-10',
      '0.log.20260101-120000-2.gz',
    ];
    const sorted = names
      .map((n) => ({ n, k: parseRotatedName('0.log', n)! }))
      .sort((a, b) => compareKeys(a.k, b.k))
      .map((x) => x.n);
    expect(sorted).toEqual([
      '0.log.20260101-115959.gz',
      '0.log.20260101-120000.gz',
      '0.log.20260101-120000-1',
      '0.log.20260101-120000-2.gz',
      '0.log.20260101-120000-10',
    ]);
    // The naive order the kubelet uses would put -1 before the .gz of the same second.
    expect([...names].sort()[1]).toBe('0.log.20260101-120000-1');
  });
});

describe('nextKey', () => {
  const now = new Date('2026-01-01T12:00:00.500Z');
  it('uses the UTC second when it is free', () => {
    expect(formatStamp(now)).toBe('20260101-120000');
    expect(nextKey(now, [{ stamp: '20260101-115959', seq: 0 }])).toEqual({
      stamp: '20260101-120000',
      seq: 0,
    });
  });
  it('adds a sequence number within the same second', () => {
    expect(nextKey(now, [{ stamp: '20260101-120000', seq: 0 }])).toEqual({
      stamp: '20260101-120000',
      seq: 1,
    });
    expect(
      nextKey(now, [
        { stamp: '20260101-120000', seq: 4 },
        { stamp: '20260101-120000', seq: 0 },
      ]),
    ).toEqual({ stamp: '20260101-120000', seq: 5 });
  });
  it('stays after the newest name when the clock went backwards', () => {
    expect(nextKey(now, [{ stamp: '20260101-130000', seq: 0 }])).toEqual({
      stamp: '20260101-130000',
      seq: 1,
    });
  });
  it('builds kubelet-compatible paths', () => {
    expect(rotatedPath('/l/0.log', { stamp: '20260101-120000', seq: 0 })).toBe('/l/0.log.20260101-120000');
    expect(rotatedPath('/l/0.log', { stamp: '20260101-120000', seq: 2 })).toBe('/l/0.log.20260101-120000-2');
  });
});
