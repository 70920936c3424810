import { describe, expect, it } from 'vitest';
import { RateEstimator } from './rate-estimator.js';

const bounds = { minMs: 25, maxMs: 2000 };

describe('RateEstimator', () => {
  it('waits the longest for a log that does not grow', () => {
    const r = new RateEstimator();
    r.sample(100, 0);
    r.sample(100, 1000);
    expect(r.nextDelay(100, 1000, bounds)).toBe(2000);
  });

  it('checks about twice before a steady writer reaches its limit', () => {
    const r = new RateEstimator();
    r.sample(0, 0);
    r.sample(1000, 100); // 10 bytes/ms
    expect(r.rate).toBe(10);
    expect(r.nextDelay(1000, 11_000, bounds)).toBe(500);
  });

  it('believes a speed-up at once and a slow-down gradually', () => {
    const r = new RateEstimator();
    r.sample(0, 0);
    r.sample(100, 100);
    r.sample(10_100, 200);
    expect(r.rate).toBe(100);
    r.sample(10_100, 300);
    expect(r.rate).toBe(50);
  });

  it('counts a shrink (rotation) as growth from zero', () => {
    const r = new RateEstimator();
    r.sample(5000, 0);
    r.sample(300, 100);
    expect(r.rate).toBe(3);
  });

  it('checks at the shortest delay at or past the limit, and until a rate is known', () => {
    const r = new RateEstimator();
    expect(r.nextDelay(0, 1000, bounds)).toBe(25);
    r.sample(10, 0);
    expect(r.nextDelay(10, 1000, bounds)).toBe(25);
    expect(r.nextDelay(2000, 1000, bounds)).toBe(25);
    r.sample(0, 0);
    r.sample(1_000_000, 1);
    expect(r.nextDelay(0, 1000, bounds)).toBe(25);
  });
});
