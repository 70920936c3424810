import { createRequire } from 'node:module';
import type { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { CrilogError } from '../errors/crilog-error.js';
import { CODEC_SUFFIX, type CodecName } from './codec-names.js';

/** A compression format for rotated files. */
export interface Codec {
  name: CodecName;
  /** File suffix, `.gz` or `.zst`. */
  suffix: string;
  minLevel: number;
  maxLevel: number;
  defaultLevel: number;
  createCompressor(level: number): Transform;
  createDecompressor(): Transform;
}

const gzip: Codec = {
  name: 'gzip',
  suffix: CODEC_SUFFIX.gzip,
  minLevel: 1,
  maxLevel: 9,
  defaultLevel: 6,
  // zlib streams run in libuv's thread pool, so compression never blocks the event loop.
  createCompressor: (level) => zlib.createGzip({ level, chunkSize: 256 * 1024 }),
  createDecompressor: () => zlib.createGunzip(),
};

interface ZstdModule {
  CompressStream: new (params?: { compressionLevel?: number }) => Transform;
  DecompressStream: new () => Transform;
}

let zstdModule: ZstdModule | null | undefined;

function loadZstd(): ZstdModule | null {
  if (zstdModule === undefined) {
    try {
      zstdModule = createRequire(import.meta.url)('zstd-napi') as ZstdModule;
    } catch {
      zstdModule = null;
    }
  }
  return zstdModule;
}

const zstd: Codec = {
  name: 'zstd',
  suffix: CODEC_SUFFIX.zstd,
  minLevel: 1,
  maxLevel: 19,
  defaultLevel: 3,
  createCompressor: (level) => new (requireZstd().CompressStream)({ compressionLevel: level }),
  createDecompressor: () => new (requireZstd().DecompressStream)(),
};

function requireZstd(): ZstdModule {
  const mod = loadZstd();
  if (!mod) {
    throw new CrilogError(
      'ERR_INVALID_OPTION',
      'zstd compression needs the optional package "zstd-napi", which is not installed (or failed to build); install it with `npm install zstd-napi`, or use compression "gzip"',
    );
  }
  return mod;
}

/** True when the codec can be used on this installation (zstd needs its optional binding). */
export function isCodecAvailable(name: CodecName): boolean {
  return name === 'gzip' || loadZstd() !== null;
}

/** The codec for `name`; throws with an install hint when zstd's binding is missing. */
export function getCodec(name: CodecName): Codec {
  if (name === 'zstd') requireZstd();
  return name === 'gzip' ? gzip : zstd;
}
