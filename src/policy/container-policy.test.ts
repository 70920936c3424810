import { describe, expect, it } from 'vitest';
import { isCodecAvailable } from '../codecs/codec.js';
import {
  parseCompression,
  resolvePolicy,
  type PolicyBounds,
  type RotationPolicy,
} from './container-policy.js';
import { DEFAULT_POLICY_BOUNDS } from './policy-bounds.js';

const node: RotationPolicy = {
  maxSize: 1000,
  maxFiles: 5,
  maxAgeMs: null,
  compression: { codec: 'gzip', level: 6 },
  delayCompress: true,
};

/** Bounds that let an annotation choose anything: for the parsing cases alone. */
const open: PolicyBounds = {
  maxSize: Number.MAX_SAFE_INTEGER,
  minSize: 0,
  maxFiles: 1_000_000,
  minAgeMs: null,
  compression: { none: true, codecs: { gzip: { min: 1, max: 9 }, zstd: { min: 1, max: 19 } } },
  allowDisable: true,
};

describe('resolvePolicy', () => {
  it.each([
    [{ 'crilog.io/max-size': '1Ki' }, { maxSize: 1024 }],
    [{ 'crilog.io/max-size': '-1' }, { maxSize: -1 }],
    [{ 'crilog.io/max-files': '2' }, { maxFiles: 2 }],
    [{ 'crilog.io/max-age': '7d' }, { maxAgeMs: 7 * 86_400_000 }],
    [{ 'crilog.io/compression': 'gzip:9' }, { compression: { codec: 'gzip', level: 9 } }],
    [{ 'crilog.io/compression': 'none' }, { compression: { codec: 'none', level: 0 } }],
  ])('applies %o', (annotations, expected) => {
    const { policy, problems } = resolvePolicy(node, { annotations }, open);
    expect(problems).toEqual([]);
    expect(policy).toEqual({ ...node, ...expected });
  });

  it.each([
    [{ 'crilog.io/max-size': '1.5Ki' }, /crilog.io\/max-size "1.5Ki" is invalid: it equals 1536/],
    [
      { 'crilog.io/max-files': '1' },
      /crilog.io\/max-files 1 is invalid: must be an integer from 2 to 1,000,000/,
    ],
    [{ 'crilog.io/max-files': 'many' }, /crilog.io\/max-files "many" is invalid/],
    [{ 'crilog.io/max-age': '0s' }, /crilog.io\/max-age "0s" is invalid: must be a positive duration/],
    [{ 'crilog.io/max-age': 'forever' }, /crilog.io\/max-age/],
    [{ 'crilog.io/max-age': '7' }, /crilog.io\/max-age "7" is invalid: a duration needs a unit/],
    [
      { 'crilog.io/compression': 'lz4' },
      /crilog.io\/compression "lz4" is invalid: use gzip, gzip:<1-9>, zstd, zstd:<1-19> or none/,
    ],
    [{ 'crilog.io/compression': 'gzip:10' }, /gzip levels run from 1 to 9/],
  ])('falls back to the node default for %o', (annotations, message) => {
    const { policy, problems } = resolvePolicy(node, { annotations }, open);
    expect(policy).toEqual(node);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
    expect(problems[0]).toMatch(/using the node default$/);
  });

  it('prefers annotations over labels, and reads labels when no annotation sets the key', () => {
    const { policy } = resolvePolicy(
      node,
      {
        labels: { 'crilog.io/max-size': '1', 'crilog.io/max-files': '3' },
        annotations: { 'crilog.io/max-size': '2' },
      },
      open,
    );
    expect(policy).toMatchObject({ maxSize: 2, maxFiles: 3 });
  });

  it('keeps good keys when another key is bad', () => {
    const { policy, problems } = resolvePolicy(
      node,
      { annotations: { 'crilog.io/max-size': '2Ki', 'crilog.io/max-files': '0' } },
      open,
    );
    expect(policy).toMatchObject({ maxSize: 2048, maxFiles: 5 });
    expect(problems).toHaveLength(1);
  });
});

// Issue 13: a tenant's annotations could lift or switch off the node's limits. Out of the box they
// can only tighten them; a value beyond a bound is clamped and reported, never silently ignored.
describe('operator bounds on annotations', () => {
  const node10Mi: RotationPolicy = { ...node, maxSize: 10 * 1024 * 1024, maxFiles: 5 };
  const resolve = (annotations: Record<string, string>, bounds?: PolicyBounds) =>
    resolvePolicy(node10Mi, { annotations }, bounds);

  it('by default, max-size -1 does not switch rotation off: the node value applies', () => {
    const { policy, clamped, problems } = resolve({ 'crilog.io/max-size': '-1' });
    expect(problems).toEqual([]);
    expect(policy.maxSize).toBe(node10Mi.maxSize);
    expect(clamped).toEqual([
      {
        key: 'maxSize',
        annotation: 'crilog.io/max-size',
        value: '-1',
        bound: 'policyAllowDisable false',
        used: String(node10Mi.maxSize),
      },
    ]);
  });

  it('by default, max-size 100T is clamped to the node maxSize', () => {
    const { policy, clamped } = resolve({ 'crilog.io/max-size': '100T' });
    expect(policy.maxSize).toBe(node10Mi.maxSize);
    expect(clamped[0]).toMatchObject({
      key: 'maxSize',
      value: '100T',
      bound: `policyMaxSize ${10 * 1024 * 1024}`,
    });
  });

  it('by default, max-size 0 (a rotation storm) is clamped to 1Mi', () => {
    const { policy, clamped } = resolve({ 'crilog.io/max-size': '0' });
    expect(policy.maxSize).toBe(1024 * 1024);
    expect(clamped[0]).toMatchObject({ key: 'maxSize', value: '0', bound: 'policyMinSize 1048576' });
    // A node smaller than 1Mi is its own floor.
    expect(resolvePolicy(node, { annotations: { 'crilog.io/max-size': '1' } }).policy.maxSize).toBe(1000);
  });

  it('by default, max-files 1000000 is clamped to the node maxFiles', () => {
    const { policy, clamped } = resolve({ 'crilog.io/max-files': '1000000' });
    expect(policy.maxFiles).toBe(5);
    expect(clamped[0]).toMatchObject({ key: 'maxFiles', value: '1000000', bound: 'policyMaxFiles 5' });
  });

  it('max-age 1ns is clamped to --policy-min-age; without one it only affects that container', () => {
    const bounds = { ...DEFAULT_POLICY_BOUNDS, minAgeMs: 3_600_000 };
    const { policy, clamped } = resolve({ 'crilog.io/max-age': '1ns' }, bounds);
    expect(policy.maxAgeMs).toBe(3_600_000);
    expect(clamped[0]).toMatchObject({ key: 'maxAgeMs', value: '1ns', bound: 'policyMinAge 1h', used: '1h' });
    expect(resolve({ 'crilog.io/max-age': '1ns' }).policy.maxAgeMs).toBeCloseTo(1e-6, 12);
  });

  it('refuses zstd:19 by default and falls back to the node codec; clamps a level beyond an allowed range', () => {
    const { policy, clamped } = resolve(
      { 'crilog.io/compression': 'gzip:9' },
      {
        ...DEFAULT_POLICY_BOUNDS,
        compression: { none: false, codecs: { gzip: { min: 1, max: 6 } } },
      },
    );
    expect(policy.compression).toEqual({ codec: 'gzip', level: 6 });
    expect(clamped[0]).toMatchObject({
      key: 'compression',
      value: 'gzip:9',
      bound: 'policyCompression gzip:1-6',
    });
    if (isCodecAvailable('zstd')) {
      const zstd = resolve({ 'crilog.io/compression': 'zstd:19' });
      expect(zstd.policy.compression).toEqual(node10Mi.compression);
      expect(zstd.clamped[0]).toMatchObject({ key: 'compression', bound: 'policyCompression gzip,none' });
    }
    expect(resolve({ 'crilog.io/compression': 'none' }).clamped).toEqual([]);
    expect(resolve({ 'crilog.io/compression': 'gzip:1' }).policy.compression).toEqual({
      codec: 'gzip',
      level: 1,
    });
  });

  it('lets a tenant tighten within the bounds, silently', () => {
    const { policy, clamped } = resolve({
      'crilog.io/max-size': '2Mi',
      'crilog.io/max-files': '3',
      'crilog.io/max-age': '1d',
    });
    expect(policy).toMatchObject({ maxSize: 2 * 1024 * 1024, maxFiles: 3, maxAgeMs: 86_400_000 });
    expect(clamped).toEqual([]);
  });

  it('honours wider operator bounds and an allowed switch-off', () => {
    const bounds = { ...DEFAULT_POLICY_BOUNDS, maxSize: 100 * 1024 * 1024, maxFiles: 20, allowDisable: true };
    const { policy, clamped } = resolve(
      { 'crilog.io/max-size': '50Mi', 'crilog.io/max-files': '30' },
      bounds,
    );
    expect(policy).toMatchObject({ maxSize: 50 * 1024 * 1024, maxFiles: 20 });
    expect(clamped.map((c) => c.key)).toEqual(['maxFiles']);
    expect(resolve({ 'crilog.io/max-size': '-1' }, bounds).policy.maxSize).toBe(-1);
  });
});

describe('parseCompression', () => {
  it('defaults levels per codec', () => {
    expect(parseCompression('gzip')).toEqual({ codec: 'gzip', level: 6 });
    if (isCodecAvailable('zstd')) expect(parseCompression('zstd:19')).toEqual({ codec: 'zstd', level: 19 });
  });
  it('rejects a level on none', () => {
    expect(() => parseCompression('none:3')).toThrow(/compression "none:3" is invalid/);
  });
});
