import { describe, expect, it } from 'vitest';
import { createSystemNanoClock, formatRfc3339Nano } from './nano-clock.js';

const at = (iso: string, extraNs = 0n) => BigInt(Date.parse(iso)) * 1_000_000n + extraNs;

describe('formatRfc3339Nano', () => {
  it('trims trailing zeros of the fraction like Go RFC3339Nano', () => {
    expect(formatRfc3339Nano(at('2024-03-01T12:34:56.000Z', 123_456_789n))).toBe(
      '2024-03-01T12:34:56.123456789Z',
    );
    expect(formatRfc3339Nano(at('2024-03-01T12:34:56.120Z'))).toBe('2024-03-01T12:34:56.12Z');
    expect(formatRfc3339Nano(at('2024-03-01T12:34:56.000Z', 1n))).toBe('2024-03-01T12:34:56.000000001Z');
    expect(formatRfc3339Nano(at('2024-03-01T12:34:56.000Z', 100n))).toBe('2024-03-01T12:34:56.0000001Z');
  });

  it('drops the dot when the fraction is zero', () => {
    expect(formatRfc3339Nano(at('1999-12-31T23:59:59.000Z'))).toBe('1999-12-31T23:59:59Z');
  });

  it('changes the date part across a second boundary', () => {
    expect(formatRfc3339Nano(at('2024-03-01T12:34:56.000Z', 999_999_999n))).toBe(
      '2024-03-01T12:34:56.999999999Z',
    );
    expect(formatRfc3339Nano(at('2024-03-01T12:34:57.000Z'))).toBe('2024-03-01T12:34:57Z');
  });
});

describe('createSystemNanoClock', () => {
  it('tracks the wall clock and never goes backwards', () => {
    const clock = createSystemNanoClock();
    const before = BigInt(Date.now()) * 1_000_000n;
    let last = clock.nowNs();
    for (let i = 0; i < 10_000; i++) {
      const now = clock.nowNs();
      expect(now >= last).toBe(true);
      last = now;
    }
    const after = BigInt(Date.now() + 1) * 1_000_000n;
    expect(last >= before - 1_000_000n && last <= after + 1_000_000n).toBe(true);
  });
});
