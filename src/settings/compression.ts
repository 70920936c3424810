import { CODEC_LEVELS, CODEC_NAMES, type CodecName } from '../codecs/codec-names.js';
import { isCodecAvailable } from '../codecs/codec.js';
import { InvalidOptionError } from '../errors/crilog-error.js';

/** How rotated files are compressed; `none` keeps them raw (for shippers that cannot read .gz). */
export interface CompressionPolicy {
  codec: CodecName | 'none';
  level: number;
}

/** The forms a compression setting takes, for messages. */
export const COMPRESSION_FORMS = 'gzip, gzip:<1-9>, zstd, zstd:<1-19> or none';

const bad = (value: unknown, rule: string, hint?: string): never => {
  throw new InvalidOptionError({ key: 'compression', value, rule, ...(hint ? { hint } : {}) });
};

/**
 * A checked codec and level: the level defaults per codec and must lie in its range, and zstd needs its
 * optional package. `value` is what the user wrote, for the message.
 */
export function compressionPolicy(
  codec: string,
  level: number | undefined,
  value: unknown,
): CompressionPolicy {
  if (codec === 'none') {
    if (level !== undefined && level !== 0) bad(value, 'none takes no level', 'write none');
    return { codec: 'none', level: 0 };
  }
  if (!(CODEC_NAMES as readonly string[]).includes(codec)) bad(value, `must be ${COMPRESSION_FORMS}`);
  const range = CODEC_LEVELS[codec as CodecName];
  const chosen = level ?? range.default;
  if (!Number.isInteger(chosen)) bad(value, 'must be an integer level of the codec');
  if (chosen < range.min || chosen > range.max)
    bad(value, `${codec} levels run from ${range.min} to ${range.max}`);
  if (!isCodecAvailable(codec as CodecName))
    bad(
      value,
      'the optional package "zstd-napi" is not installed',
      'run `npm install zstd-napi` or use gzip',
    );
  return { codec: codec as CodecName, level: chosen };
}

/** `gzip`, `gzip:9`, `zstd`, `zstd:19` or `none`, checked. */
export function parseCompressionText(text: string): CompressionPolicy {
  const m = /^(gzip|zstd|none)(?::(\d+))?$/.exec(text.trim());
  if (!m) return bad(text, `use ${COMPRESSION_FORMS}`);
  return compressionPolicy(m[1] as string, m[2] === undefined ? undefined : Number(m[2]), text);
}

/** Which codecs and levels a container's annotation may choose (`--policy-compression`). */
export interface CodecAllowance {
  /** May an annotation keep rotations raw? */
  none: boolean;
  /** Allowed level range per codec; a codec not listed is refused. */
  codecs: Partial<Record<CodecName, { min: number; max: number }>>;
}

/**
 * A list of `codec`, `codec:N`, `codec:N-M` and `none` entries (a comma-separated string or a list):
 * what an annotation may choose. A codec alone allows all its levels.
 */
export function parseCodecAllowance(value: unknown): CodecAllowance {
  if (isAllowance(value)) return value;
  const entries = typeof value === 'string' ? value.split(',') : value;
  const form = 'a list such as gzip,none or gzip:1-6,zstd:1-3 (codec, codec:N, codec:N-M or none)';
  if (!Array.isArray(entries) || entries.length === 0) return bad(value, `must be ${form}`);
  const out: CodecAllowance = { none: false, codecs: {} };
  for (const entry of entries) {
    const m =
      typeof entry === 'string' ? /^(gzip|zstd|none)(?::(\d+)(?:-(\d+))?)?$/.exec(entry.trim()) : null;
    if (!m || (m[1] === 'none' && m[2] !== undefined))
      return bad(value, `${JSON.stringify(entry)} is not ${form}`);
    if (m[1] === 'none') {
      out.none = true;
      continue;
    }
    const codec = m[1] as CodecName;
    const range = CODEC_LEVELS[codec];
    const min = m[2] === undefined ? range.min : Number(m[2]);
    const max = m[3] !== undefined ? Number(m[3]) : m[2] !== undefined ? min : range.max;
    if (min < range.min || max > range.max || min > max)
      bad(value, `${codec} levels run from ${range.min} to ${range.max}`);
    const had = out.codecs[codec];
    out.codecs[codec] = had ? { min: Math.min(had.min, min), max: Math.max(had.max, max) } : { min, max };
  }
  return out;
}

function isAllowance(value: unknown): value is CodecAllowance {
  return typeof value === 'object' && value !== null && 'codecs' in value && 'none' in value;
}

/** The allowance written back as the setting's text, for messages and docs. */
export function formatCodecAllowance(a: CodecAllowance): string {
  const parts = Object.entries(a.codecs).map(([codec, r]) => {
    const full = CODEC_LEVELS[codec as CodecName];
    return r.min === full.min && r.max === full.max
      ? codec
      : r.min === r.max
        ? `${codec}:${r.min}`
        : `${codec}:${r.min}-${r.max}`;
  });
  return [...parts, ...(a.none ? ['none'] : [])].join(',');
}
