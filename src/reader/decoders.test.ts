import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { restoreDecoders, swapDecoder } from '../../test/helpers/decoders.js';
import { createDecoder } from './decoders.js';

afterEach(() => restoreDecoders());

describe('decoders', () => {
  it('names the file and the fix when no zstd decoder is registered', () => {
    swapDecoder('zstd', null);
    expect(() => createDecoder('zstd', '/logs/c.log.20261127-100000.zst')).toThrow(
      /cannot read "\/logs\/c.log.20261127-100000.zst": reading zstd needs the optional package "zstd-napi"; install it with `npm install zstd-napi`/,
    );
  });

  it('uses a registered decoder', () => {
    swapDecoder('zstd', () => new PassThrough());
    expect(createDecoder('zstd', 'x')).toBeInstanceOf(PassThrough);
    expect(createDecoder('gzip', 'x')).toBeDefined();
  });

  it('registerDecoder returns a function that restores the previous decoder', async () => {
    const { registerDecoder } = await import('./decoders.js');
    const restore = registerDecoder('gzip', null);
    expect(() => createDecoder('gzip', 'x')).toThrow(/no gzip decoder is registered/);
    restore();
    expect(createDecoder('gzip', 'x')).toBeDefined();
  });
});
