import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { getCodec, isCodecAvailable } from './codec.js';

async function roundTrip(name: 'gzip' | 'zstd', data: Buffer): Promise<Buffer> {
  const codec = getCodec(name);
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from([data]),
    codec.createCompressor(codec.defaultLevel),
    codec.createDecompressor(),
    async (src: AsyncIterable<Buffer>) => {
      for await (const c of src) parts.push(c);
    },
  );
  return Buffer.concat(parts);
}

describe('codecs', () => {
  const data = Buffer.from('2026-01-01T00:00:00Z stdout F hello\n'.repeat(10_000));
  it('gzip round-trips', async () => {
    expect((await roundTrip('gzip', data)).equals(data)).toBe(true);
  });
  it.runIf(isCodecAvailable('zstd'))('zstd round-trips', async () => {
    expect((await roundTrip('zstd', data)).equals(data)).toBe(true);
  });
  it.skipIf(isCodecAvailable('zstd'))('zstd without its binding names the package to install', () => {
    expect(() => getCodec('zstd')).toThrow(/npm install zstd-napi/);
  });
});
