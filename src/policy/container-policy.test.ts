import { describe, expect, it } from 'vitest';
import { isCodecAvailable } from '../codecs/codec.js';
import { parseCompression, resolvePolicy, type RotationPolicy } from './container-policy.js';

const node: RotationPolicy = {
  maxSize: 1000,
  maxFiles: 5,
  maxAgeMs: null,
  compression: { codec: 'gzip', level: 6 },
  delayCompress: true,
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
    const { policy, problems } = resolvePolicy(node, { annotations });
    expect(problems).toEqual([]);
    expect(policy).toEqual({ ...node, ...expected });
  });

  it.each([
    [{ 'crilog.io/max-size': '1.5Ki' }, /crilog.io\/max-size: invalid quantity "1.5Ki"/],
    [
      { 'crilog.io/max-files': '1' },
      /crilog.io\/max-files: invalid max-files "1": must be an integer greater than 1/,
    ],
    [{ 'crilog.io/max-files': 'many' }, /invalid max-files "many"/],
    [{ 'crilog.io/max-age': '0s' }, /invalid max-age "0s": must be a positive duration/],
    [{ 'crilog.io/max-age': 'forever' }, /crilog.io\/max-age/],
    [
      { 'crilog.io/compression': 'lz4' },
      /invalid compression "lz4": use gzip, gzip:<1-9>, zstd, zstd:<1-19> or none/,
    ],
    [{ 'crilog.io/compression': 'gzip:10' }, /gzip levels run from 1 to 9/],
  ])('falls back to the node default for %o', (annotations, message) => {
    const { policy, problems } = resolvePolicy(node, { annotations });
    expect(policy).toEqual(node);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
    expect(problems[0]).toMatch(/using the node default$/);
  });

  it('prefers annotations over labels, and reads labels when no annotation sets the key', () => {
    const { policy } = resolvePolicy(node, {
      labels: { 'crilog.io/max-size': '1', 'crilog.io/max-files': '3' },
      annotations: { 'crilog.io/max-size': '2' },
    });
    expect(policy).toMatchObject({ maxSize: 2, maxFiles: 3 });
  });

  it('keeps good keys when another key is bad', () => {
    const { policy, problems } = resolvePolicy(node, {
      annotations: { 'crilog.io/max-size': '2Ki', 'crilog.io/max-files': '0' },
    });
    expect(policy).toMatchObject({ maxSize: 2048, maxFiles: 5 });
    expect(problems).toHaveLength(1);
  });
});

describe('parseCompression', () => {
  it('defaults levels per codec', () => {
    expect(parseCompression('gzip')).toEqual({ codec: 'gzip', level: 6 });
    if (isCodecAvailable('zstd')) expect(parseCompression('zstd:19')).toEqual({ codec: 'zstd', level: 19 });
  });
  it('rejects a level on none', () => {
    expect(() => parseCompression('none:3')).toThrow(/invalid compression "none:3"/);
  });
});
