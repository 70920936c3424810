/** The codecs crilog can write and read; `codecs/` owns these names, everything else imports them. */
export type CodecName = 'gzip' | 'zstd';

/** Every codec name, in the order messages list them. */
export const CODEC_NAMES: readonly CodecName[] = ['gzip', 'zstd'];

/** File suffix of each codec; kubelet only ever wrote `.gz`. */
export const CODEC_SUFFIX: Readonly<Record<CodecName, string>> = { gzip: '.gz', zstd: '.zst' };

/** Levels each codec accepts, and the one used when a setting names the codec alone. */
export const CODEC_LEVELS: Readonly<Record<CodecName, { min: number; max: number; default: number }>> = {
  gzip: { min: 1, max: 9, default: 6 },
  zstd: { min: 1, max: 19, default: 3 },
};

/**
 * Deflate engines gzip can run on: `libdeflate` (crilog's optional native binding), Node's `zlib`, or
 * `auto` (libdeflate when the binding is built, zlib otherwise).
 */
export const GZIP_ENGINES = ['auto', 'libdeflate', 'zlib'] as const;
export type GzipEngineChoice = (typeof GZIP_ENGINES)[number];

/** The environment variable read for the gzip engine when neither flag, file nor option sets it. */
export const GZIP_ENGINE_ENV = 'CRILOG_GZIP_ENGINE';
