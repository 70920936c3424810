import { describe, expect, it } from 'vitest';
import { FakeRuntime } from '../../test/helpers/fake-runtime.js';
import { normalizeOptions } from './options.js';

const runtime = new FakeRuntime();

describe('normalizeOptions', () => {
  it('applies kubelet defaults', () => {
    expect(normalizeOptions({ runtime })).toMatchObject({
      maxSize: 10 * 1024 * 1024,
      maxFiles: 5,
      workers: 2,
      monitorIntervalMs: 10_000,
    });
    expect(normalizeOptions({ runtime })).toMatchObject({
      policy: { maxAgeMs: null, compression: { codec: 'gzip', level: 6 }, delayCompress: true },
      maxTotalSize: null,
    });
  });

  it.each([
    [{ maxFiles: 1 }, /maxFiles 1 is invalid: must be an integer from 2 to 1,000,000/],
    [{ maxFiles: 2_000_000 }, /maxFiles 2000000 is invalid: must be an integer from 2 to 1,000,000/],
    [{ maxFiles: 2.5 }, /maxFiles 2.5 is invalid/],
    [{ maxSize: '1.5Ki' }, /maxSize "1.5Ki" is invalid/],
    [{ maxSize: '10MB' }, /maxSize "10MB" is invalid/],
    [{ maxSize: 1.5 }, /maxSize 1.5 is invalid/],
    [{ workers: 0 }, /workers 0 is invalid/],
    [
      { compressionNice: 20 },
      /compressionNice 20 is invalid: must be an integer nice value from 0 \(normal priority\) to 19/,
    ],
    [{ monitorInterval: '0s' }, /monitorInterval "0s" is invalid/],
    [{ monitorInterval: '10' }, /monitorInterval "10" is invalid: a duration needs a unit/],
    [{ monitorInterval: '30d' }, /monitorInterval "30d" is invalid: must be at most 24d20h31m23.647s/],
    [{ monitorInterval: 2 ** 31 }, /monitorInterval 2147483648 is invalid: must be at most/],
    [{ maxAge: '7' }, /maxAge "7" is invalid: a duration needs a unit; write 7ms for milliseconds or 7s/],
    [{ monitorInterval: 'soon' }, /monitorInterval/],
    [{ compressionLevel: 10 }, /compressionLevel 10 is invalid: gzip levels run from 1 to 9/],
    [
      { compression: 'brotli' },
      /compression "brotli" is invalid: use gzip, gzip:<1-9>, zstd, zstd:<1-19> or none/,
    ],
    [{ compression: 'gzip:0' }, /gzip levels run from 1 to 9/],
    [{ maxAge: '-1h' }, /maxAge "-1h" is invalid: must be a positive duration/],
    [{ maxAge: 'week' }, /maxAge/],
    [{ maxTotalSize: '0' }, /maxTotalSize "0" is invalid: must be a positive size/],
    [{ maxTotalSize: '5GB' }, /maxTotalSize "5GB" is invalid/],
    [{ delayCompress: 'yes' }, /delayCompress "yes" is invalid: must be true or false/],
    [{ policyCompression: 'gzip,brotli' }, /policyCompression "gzip,brotli" is invalid/],
    [{ policyMaxFiles: 1 }, /policyMaxFiles 1 is invalid/],
    [{ maxsize: '1Mi' }, /maxsize: unknown option for ContainerLogManager; known options: runtime, maxSize/],
    [{ runtime: {} }, /runtime .* is invalid: must implement RuntimeService/],
  ])('rejects %o', (extra, message) => {
    expect(() => normalizeOptions({ runtime, ...extra } as never)).toThrow(message);
  });

  it('accepts quantities, bytes and durations', () => {
    expect(normalizeOptions({ runtime, maxSize: '1Ki', monitorInterval: '1m' })).toMatchObject({
      maxSize: 1024,
      monitorIntervalMs: 60_000,
    });
    expect(normalizeOptions({ runtime, maxSize: -1 }).maxSize).toBe(-1);
    // The library's typed numbers stay milliseconds.
    expect(normalizeOptions({ runtime, monitorInterval: 500, maxAge: 60_000 })).toMatchObject({
      monitorIntervalMs: 500,
      policy: { maxAgeMs: 60_000 },
    });
  });

  it('defaults the operator bounds so that annotations can only tighten', () => {
    expect(normalizeOptions({ runtime }).bounds).toEqual({
      maxSize: null,
      minSize: null,
      maxFiles: null,
      minAgeMs: null,
      compression: { none: true, codecs: { gzip: { min: 1, max: 9 } } },
      allowDisable: false,
    });
    expect(
      normalizeOptions({
        runtime,
        policyMaxSize: '1Gi',
        policyMinAge: '1h',
        policyCompression: 'gzip:1-6,zstd:1-3',
      }).bounds,
    ).toMatchObject({
      maxSize: 1024 ** 3,
      minAgeMs: 3_600_000,
      compression: { none: false, codecs: { gzip: { min: 1, max: 6 }, zstd: { min: 1, max: 3 } } },
    });
  });
});
