import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createDecoder, registerDecoder, resetDecoders, unregisterDecoder } from './decoders.js';

afterEach(() => resetDecoders());

describe('decoders', () => {
  it('names the file and the fix when no zstd decoder is registered', () => {
    unregisterDecoder('zstd');
    expect(() => createDecoder('zstd', '/logs/c.log.20261127-100000.zst')).toThrow(
      /cannot read "\/logs\/c.log.20261127-100000.zst": reading zstd needs the optional package "zstd-napi"; install it with `npm install zstd-napi`/,
    );
  });

  it('uses a registered decoder', () => {
    registerDecoder('zstd', () => new PassThrough());
    expect(createDecoder('zstd', 'x')).toBeInstanceOf(PassThrough);
    expect(createDecoder('gzip', 'x')).toBeDefined();
  });
});
