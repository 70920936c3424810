import path from 'node:path';
import { InvalidOptionError } from '../errors/crilog-error.js';
import { formatDuration, parseDuration } from '../units/duration.js';
import { parseRuntimeEndpoint } from '../units/endpoint.js';
import { parseListenAddress, type ListenAddress } from '../units/listen-address.js';
import { parseQuantity } from '../units/quantity.js';
import { freeThresholdRule, parseFreeThreshold, type FreeThreshold } from '../units/free-threshold.js';
import {
  COMPRESSION_FORMS,
  compressionPolicy,
  parseCodecAllowance,
  parseCompressionText,
  type CodecAllowance,
  type CompressionPolicy,
} from './compression.js';
import { validateProcessSpec, type ProcessSpec } from './process-spec.js';

/** Where a value came from: each has its own types (flags are text, the library has typed numbers). */
export type Origin = 'flag' | 'file' | 'option' | 'annotation';

/** What a parser knows besides the value. */
export interface ParseContext {
  origin: Origin;
  /** Directory relative paths are resolved against (the config file's, or the working directory). */
  base: string;
}

/** The type of a setting: how each origin's raw value becomes the value crilog works with. */
export interface Kind<T, In = unknown> {
  /** Type marker only: what the library's typed options accept. */
  readonly input?: In;
  /** The flag's placeholder and the docs' type, e.g. `quantity`. */
  readonly placeholder: string;
  /** Throws InvalidOptionError with the value, the rule and the fix; the caller names the key. */
  parse(raw: unknown, ctx: ParseContext): T;
  /** JSON Schema of the config file's form (for the Helm chart's values.schema.json). */
  readonly schema: Readonly<Record<string, unknown>>;
  /** Booleans become `--x` / `--no-x`. */
  readonly boolean?: true;
  /** Repeatable flag collecting a list. */
  readonly repeatable?: true;
}

/** Rejects `value` with `rule`; the settings layer adds the key. */
export function bad(value: unknown, rule: string, hint?: string): never {
  throw new InvalidOptionError({ key: 'value', value, rule, ...(hint ? { hint } : {}) });
}

/** The longest delay a Node.js timer takes; a longer one fires after 1 ms instead. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Bytes: a quantity string, or (file and library) a whole number of bytes. */
export function quantity(
  check: { positive?: { rule: string; hint: string } } = {},
): Kind<number, string | number> {
  return {
    placeholder: 'quantity',
    schema: { type: ['string', 'integer'], pattern: '^[+-]?[0-9.]+([eE][+-]?[0-9]+|[KMGTPE]i|[kMGTPE])?$' },
    parse(raw, { origin }) {
      let bytes: number;
      if (typeof raw === 'number' && (origin === 'file' || origin === 'option')) {
        if (!Number.isSafeInteger(raw))
          bad(raw, 'a number must be a whole count of bytes', 'use e.g. 10485760 or "10Mi"');
        bytes = raw;
      } else if (typeof raw === 'string') bytes = parseQuantity(raw);
      else return bad(raw, 'must be a quantity such as 10Mi or a number of bytes');
      if (check.positive && !(Number.isSafeInteger(bytes) && bytes > 0))
        bad(raw, check.positive.rule, check.positive.hint);
      return bytes;
    },
  };
}

/**
 * A floor of free space or inodes: a percentage of the filesystem (`10%`), or an amount, a quantity such
 * as `example` (or, file and library, a whole number). `0` turns the check off.
 */
export function freeThreshold(example: string): Kind<FreeThreshold, string | number> {
  const rule = freeThresholdRule(example);
  return {
    placeholder: 'amount|%',
    schema: {
      type: ['string', 'integer'],
      pattern: '^([0-9]+(\\.[0-9]+)?%|[0-9.]+([eE][+-]?[0-9]+|[KMGTPE]i|[kMGTPE])?)$',
      minimum: 0,
    },
    parse(raw, { origin }) {
      if (typeof raw === 'number' && (origin === 'file' || origin === 'option')) {
        if (!Number.isSafeInteger(raw) || raw < 0) bad(raw, rule);
        return { amount: raw };
      }
      // A resolved value handed on unchanged (a daemon's settings to its manager).
      if (origin === 'option' && typeof raw === 'object' && raw !== null) {
        const t = raw as Partial<Record<'percent' | 'amount', unknown>>;
        if (typeof t.percent === 'number' && t.percent >= 0 && t.percent < 100) return { percent: t.percent };
        if (typeof t.amount === 'number' && Number.isSafeInteger(t.amount) && t.amount >= 0)
          return { amount: t.amount };
      }
      if (typeof raw !== 'string') return bad(raw, rule);
      return parseFreeThreshold(raw, example);
    },
  };
}

/** Milliseconds: a duration string with a unit, or (library only) a number of milliseconds. */
export function duration(opts: {
  example: string;
  timer?: boolean;
  /** `0` is a value too (e.g. "no limit"). */
  zero?: boolean;
  /** The longest value accepted, and the rule that says so. */
  max?: { ms: number; rule: string };
}): Kind<number, string | number> {
  return {
    placeholder: 'duration',
    schema: { type: 'string', pattern: '^([0-9]*\\.?[0-9]+(ns|us|µs|ms|s|m|h|d|w))+$' },
    parse(raw, { origin }) {
      let ms: number;
      if (typeof raw === 'number' && origin === 'option') ms = parseDuration(raw);
      else if (typeof raw === 'string') ms = parseDuration(raw);
      else return bad(raw, `must be a duration such as ${opts.example}`, `write "${opts.example}"`);
      if (opts.zero ? !(ms >= 0) : !(ms > 0))
        bad(raw, `must be a ${opts.zero ? 'non-negative' : 'positive'} duration such as ${opts.example}`);
      if (opts.max && ms > opts.max.ms) bad(raw, opts.max.rule);
      if (opts.timer && ms > MAX_TIMER_MS)
        bad(
          raw,
          `must be at most ${formatDuration(MAX_TIMER_MS)}, the longest wait a Node.js timer can hold`,
          `use e.g. 1h`,
        );
      return ms;
    },
  };
}

/** A whole number in a range; flags and annotations give it as digits. */
export function integer(min: number, max: number, rule: string): Kind<number, number> {
  return {
    placeholder: 'n',
    schema: { type: 'integer', minimum: min, maximum: max },
    parse(raw, { origin }) {
      let n = raw;
      if (origin === 'flag' && typeof raw === 'string' && /^[+-]?\d+$/.test(raw.trim())) n = Number(raw);
      if (origin === 'annotation') n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) bad(n, rule);
      return n;
    },
  };
}

/** `true` or `false`. */
export const boolean: Kind<boolean, boolean> = {
  placeholder: 'bool',
  boolean: true,
  schema: { type: 'boolean' },
  parse: (raw) => (typeof raw === 'boolean' ? raw : bad(raw, 'must be true or false')),
};

/** One of a fixed set of words. */
export function choice<const T extends string>(
  values: readonly T[],
  rule: string,
  placeholder = 'name',
): Kind<T> {
  return {
    placeholder,
    schema: { type: 'string', enum: [...values] },
    parse: (raw) => ((values as readonly unknown[]).includes(raw) ? (raw as T) : bad(raw, rule)),
  };
}

/** A path, made absolute against the file's directory (file) or the working directory (flag). */
export function filePath(what: string, placeholder = 'file'): Kind<string> {
  return {
    placeholder,
    schema: { type: 'string', minLength: 1 },
    parse: (raw, { base }) =>
      typeof raw === 'string' && raw !== '' ? path.resolve(base, raw) : bad(raw, `must be ${what}`),
  };
}

/** A non-empty list of directories, absolute and without duplicates; the flag repeats. */
export function directories(example: string): Kind<string[]> {
  return {
    placeholder: 'dir',
    repeatable: true,
    schema: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    parse(raw, { base }) {
      if (!Array.isArray(raw)) return bad(raw, `must be a list of directories, e.g. ${example}`);
      if (raw.length === 0) bad(raw, `must name at least one directory, e.g. ${example}`);
      for (const p of raw)
        if (typeof p !== 'string' || p === '') bad(raw, 'every entry must be a directory path');
      return [...new Set(raw.map((p: string) => path.resolve(base, p)))];
    },
  };
}

/** A CRI endpoint, kept as written (the runtime factory resolves it, with the environment). */
export const endpoint: Kind<string> = {
  placeholder: 'endpoint',
  schema: { type: 'string', pattern: '^(unix://)?/' },
  parse: (raw) =>
    typeof raw === 'string'
      ? parseRuntimeEndpoint(raw).raw
      : bad(raw, 'must be a unix socket endpoint such as unix:///run/containerd/containerd.sock'),
};

/** `host:port`. */
export const listenAddress: Kind<ListenAddress> = {
  placeholder: 'host:port',
  schema: { type: 'string', pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^:\\[\\]\\s]+):[0-9]{1,5}$' },
  parse: (raw) =>
    typeof raw === 'string' ? parseListenAddress(raw) : bad(raw, 'must be host:port such as 127.0.0.1:9753'),
};

/** `gzip:6` and friends, or (file, library) `{ codec, level }`. */
export const compression: Kind<
  CompressionPolicy,
  string | { codec: 'gzip' | 'zstd' | 'none'; level?: number }
> = {
  placeholder: 'codec',
  schema: {
    oneOf: [
      { type: 'string', pattern: '^(gzip|zstd|none)(:[0-9]+)?$' },
      {
        type: 'object',
        additionalProperties: false,
        required: ['codec'],
        properties: { codec: { enum: ['gzip', 'zstd', 'none'] }, level: { type: 'integer' } },
      },
    ],
  },
  parse(raw, { origin }) {
    if (typeof raw === 'string') return parseCompressionText(raw);
    if (origin === 'file' || origin === 'option') {
      if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'codec' in raw) {
        const { codec, level, ...rest } = raw as { codec: unknown; level?: unknown };
        const unknown = Object.keys(rest);
        if (unknown.length > 0) bad(raw, `unknown key "${unknown[0]}"`, 'a mapping has codec and level only');
        if (typeof codec !== 'string') return bad(raw, 'codec must be gzip, zstd or none');
        if (level !== undefined && (typeof level !== 'number' || !Number.isInteger(level)))
          bad(raw, 'must be an integer level of the codec');
        return compressionPolicy(codec, level as number | undefined, raw);
      }
    }
    return bad(raw, `must be ${COMPRESSION_FORMS}, or a mapping such as { codec: gzip, level: 6 }`);
  },
};

/** The codecs and levels an annotation may choose. */
export const codecAllowance: Kind<CodecAllowance, string | readonly string[] | CodecAllowance> = {
  placeholder: 'list',
  schema: {
    oneOf: [
      { type: 'string' },
      { type: 'array', items: { type: 'string', pattern: '^(gzip|zstd)(:[0-9]+(-[0-9]+)?)?$|^none$' } },
    ],
  },
  parse: (raw) => parseCodecAllowance(raw),
};

/** The local runtime's processes (file only). */
export const processes: Kind<ProcessSpec[]> = {
  placeholder: 'list',
  schema: { type: 'array', items: { type: 'object', required: ['name', 'command'] } },
  parse: (raw) =>
    Array.isArray(raw)
      ? raw.map((item, i) => validateProcessSpec(item, `containers[${i}]`))
      : bad(raw, 'must be a list of processes, each with at least name and command'),
};
