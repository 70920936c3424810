import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createDecoder, registerDecoder, unregisterDecoder } from './decoders.js';

afterEach(() => unregisterDecoder('zstd'));

describe('decoders', () => {
  it('names the file and the fix when no zstd decoder is registered', () => {
    expect(() => createDecoder('zstd', '/logs/c.log.20261127-100000.zst')).toThrow(
      /cannot read "\/logs\/c.log.20261127-100000.zst": no zstd decoder is registered; call registerDecoder\('zstd'/,
    );
  });

  it('uses a registered decoder', () => {
    registerDecoder('zstd', () => new PassThrough());
    expect(createDecoder('zstd', 'x')).toBeInstanceOf(PassThrough);
    expect(createDecoder('gzip', 'x')).toBeDefined();
  });
});
