import { isCodecAvailable } from '../codecs/codec.js';
import { parseDuration } from '../config/duration.js';
import { parseQuantity } from '../config/quantity.js';
import type { CodecName } from '../rotation/naming.js';

/** How rotated files are compressed; `none` keeps them raw (for shippers that cannot read .gz). */
export interface CompressionPolicy {
  codec: CodecName | 'none';
  level: number;
}

/** The limits that apply to one container's logs. */
export interface RotationPolicy {
  /** Bytes; negative turns rotation off for the container. */
  maxSize: number;
  /** Data files at most, live log included. */
  maxFiles: number;
  /** Rotated files older than this (by last write) are deleted; `null` keeps them by count only. */
  maxAgeMs: number | null;
  compression: CompressionPolicy;
  /** Keep the newest rotated file raw, as the kubelet does, so readers can finish it. */
  delayCompress: boolean;
}

/** Annotation (or label) keys a workload may set to override the node's policy. */
export const POLICY_KEYS = {
  maxSize: 'crilog.io/max-size',
  maxFiles: 'crilog.io/max-files',
  maxAge: 'crilog.io/max-age',
  compression: 'crilog.io/compression',
} as const;

const LEVELS: Record<CodecName, [number, number, number]> = { gzip: [1, 9, 6], zstd: [1, 19, 3] };

/**
 * Parses a compression setting: `gzip`, `gzip:9`, `zstd`, `zstd:19` or `none`. Throws a message that
 * names the value and the accepted forms.
 */
export function parseCompression(value: string): CompressionPolicy {
  const m = /^(gzip|zstd|none)(?::(\d+))?$/.exec(value.trim());
  if (!m || (m[1] === 'none' && m[2] !== undefined)) {
    throw new Error(`invalid compression "${value}": use gzip, gzip:<1-9>, zstd, zstd:<1-19> or none`);
  }
  if (m[1] === 'none') return { codec: 'none', level: 0 };
  const codec = m[1] as CodecName;
  const [min, max, def] = LEVELS[codec];
  const level = m[2] === undefined ? def : Number(m[2]);
  if (level < min || level > max)
    throw new Error(`invalid compression "${value}": ${codec} levels run from ${min} to ${max}`);
  if (!isCodecAvailable(codec))
    throw new Error(
      `invalid compression "${value}": the optional package "zstd-napi" is not installed; run \`npm install zstd-napi\` or use gzip`,
    );
  return { codec, level };
}

/** Result of applying a container's annotations to the node policy. */
export interface ResolvedPolicy {
  policy: RotationPolicy;
  /** One message per rejected key; the node default applies for that key. */
  problems: string[];
}

/**
 * The policy for one container: the node's, overridden key by key by `crilog.io/*` annotations (or
 * labels, when no annotation sets the key). A bad value never fails the container: that key falls
 * back to the node default and the problem is reported.
 */
export function resolvePolicy(
  node: RotationPolicy,
  meta: { labels?: Record<string, string>; annotations?: Record<string, string> },
): ResolvedPolicy {
  const policy: RotationPolicy = { ...node, compression: { ...node.compression } };
  const problems: string[] = [];
  const read = (key: string) => meta.annotations?.[key] ?? meta.labels?.[key];
  const apply = (key: string, set: (value: string) => void) => {
    const value = read(key);
    if (value === undefined) return;
    try {
      set(value);
    } catch (err) {
      problems.push(`${key}: ${(err as Error).message}; using the node default`);
    }
  };
  apply(POLICY_KEYS.maxSize, (v) => (policy.maxSize = parseQuantity(v)));
  apply(POLICY_KEYS.maxFiles, (v) => {
    if (!/^\d+$/.test(v) || Number(v) < 2)
      throw new Error(`invalid max-files "${v}": must be an integer greater than 1`);
    policy.maxFiles = Number(v);
  });
  apply(POLICY_KEYS.maxAge, (v) => {
    const ms = parseDuration(v, POLICY_KEYS.maxAge);
    if (ms <= 0) throw new Error(`invalid max-age "${v}": must be a positive duration such as 7d`);
    policy.maxAgeMs = ms;
  });
  apply(POLICY_KEYS.compression, (v) => (policy.compression = parseCompression(v)));
  return { policy, problems };
}
