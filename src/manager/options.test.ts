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
    [{ maxFiles: 1 }, /invalid maxFiles 1: must be an integer greater than 1/],
    [{ maxFiles: 2.5 }, /invalid maxFiles 2.5/],
    [{ maxSize: '1.5Ki' }, /invalid maxSize "1.5Ki"/],
    [{ maxSize: '10MB' }, /invalid maxSize "10MB"/],
    [{ maxSize: 1.5 }, /invalid maxSize 1.5/],
    [{ workers: 0 }, /invalid workers 0/],
    [
      { compressionNice: 20 },
      /invalid compressionNice 20: must be an integer nice value from 0 \(normal priority\) to 19/,
    ],
    [{ monitorInterval: '0s' }, /invalid monitorInterval "0s"/],
    [{ monitorInterval: 'soon' }, /monitorInterval/],
    [{ compressionLevel: 10 }, /invalid compressionLevel 10: gzip levels run from 1 to 9/],
    [
      { compression: 'brotli' },
      /invalid compression "brotli": use gzip, gzip:<1-9>, zstd, zstd:<1-19> or none/,
    ],
    [{ compression: 'gzip:0' }, /gzip levels run from 1 to 9/],
    [{ maxAge: '-1h' }, /invalid maxAge "-1h": must be a positive duration/],
    [{ maxAge: 'week' }, /maxAge/],
    [{ maxTotalSize: '0' }, /invalid maxTotalSize "0": must be a positive size/],
    [{ maxTotalSize: '5GB' }, /invalid maxTotalSize "5GB"/],
    [{ delayCompress: 'yes' }, /invalid delayCompress "yes": must be true or false/],
    [{ maxsize: '1Mi' }, /unknown option "maxsize" for ContainerLogManager; known options: runtime, maxSize/],
    [{ runtime: {} }, /option "runtime" must implement RuntimeService/],
  ])('rejects %o', (extra, message) => {
    expect(() => normalizeOptions({ runtime, ...extra } as never)).toThrow(message);
  });

  it('accepts quantities, bytes and durations', () => {
    expect(normalizeOptions({ runtime, maxSize: '1Ki', monitorInterval: '1m' })).toMatchObject({
      maxSize: 1024,
      monitorIntervalMs: 60_000,
    });
    expect(normalizeOptions({ runtime, maxSize: -1 }).maxSize).toBe(-1);
  });
});
