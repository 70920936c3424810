import { registerDecoder, type DecoderFactory } from '../../src/reader/index.js';
import type { CodecName } from '../../src/codecs/codec-names.js';

const restores: (() => void)[] = [];

/** Replaces (or, with `null`, removes) a reader decoder until `restoreDecoders()`. */
export function swapDecoder(codec: CodecName, factory: DecoderFactory | null): void {
  restores.push(registerDecoder(codec, factory));
}

/** Puts back every decoder `swapDecoder` changed, newest first; for `afterEach`. */
export function restoreDecoders(): void {
  while (restores.length > 0) restores.pop()!();
}
