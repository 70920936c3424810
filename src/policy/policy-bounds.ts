import { CODEC_LEVELS, type CodecName } from '../codecs/codec-names.js';
import { formatCodecAllowance, type CodecAllowance } from '../settings/index.js';
import { formatDuration } from '../units/duration.js';
import type { RotationPolicy } from './container-policy.js';

/**
 * What the operator lets a container's annotations choose (`--policy-*`). `null` bounds follow the
 * node: out of the box a tenant can only tighten the node's limits.
 */
export interface PolicyBounds {
  /** Highest `crilog.io/max-size` in bytes; `null`: the node's maxSize. */
  maxSize: number | null;
  /** Lowest `crilog.io/max-size`; `null`: 1Mi or the node's maxSize, whichever is smaller. */
  minSize: number | null;
  /** Highest `crilog.io/max-files`; `null`: the node's maxFiles. */
  maxFiles: number | null;
  /** Shortest `crilog.io/max-age` in ms; `null`: none. */
  minAgeMs: number | null;
  /** Codecs and levels `crilog.io/compression` may choose. */
  compression: CodecAllowance;
  /** Whether a negative `crilog.io/max-size` may switch rotation off. */
  allowDisable: boolean;
}

/** Bounds when the operator sets none: gzip at any level or none, and no switch-off. */
export const DEFAULT_POLICY_BOUNDS: PolicyBounds = {
  maxSize: null,
  minSize: null,
  maxFiles: null,
  minAgeMs: null,
  compression: { none: true, codecs: { gzip: { ...CODEC_LEVELS.gzip } } },
  allowDisable: false,
};

/** One annotation value the bounds changed: which, what it said, and the bound that applied. */
export interface PolicyClamp {
  /** The policy field: `maxSize`, `maxFiles`, `maxAgeMs` or `compression`. */
  key: 'maxSize' | 'maxFiles' | 'maxAgeMs' | 'compression';
  /** The annotation (or label) that asked for it, e.g. `crilog.io/max-size`. */
  annotation: string;
  /** The annotation's value as written. */
  value: string;
  /** The bound, as the operator would write it, e.g. `policyMaxSize 10485760`. */
  bound: string;
  /** What was used instead. */
  used: string;
}

const MI = 1024 * 1024;
const codecText = (c: RotationPolicy['compression']) =>
  c.codec === 'none' ? 'none' : `${c.codec}:${c.level}`;

/** The node policy with the container's wishes applied inside the bounds. */
export function applyBounds(
  node: RotationPolicy,
  wanted: Partial<RotationPolicy>,
  raw: Partial<Record<keyof RotationPolicy, { annotation: string; value: string }>>,
  bounds: PolicyBounds = DEFAULT_POLICY_BOUNDS,
): { policy: RotationPolicy; clamped: PolicyClamp[] } {
  const policy: RotationPolicy = { ...node, compression: { ...node.compression } };
  const clamped: PolicyClamp[] = [];
  const clamp = (key: PolicyClamp['key'], bound: string, used: string) =>
    clamped.push({ key, annotation: raw[key]?.annotation ?? '', value: raw[key]?.value ?? '', bound, used });

  if (wanted.maxSize !== undefined) {
    const wantedSize = wanted.maxSize;
    const max = bounds.maxSize ?? node.maxSize;
    const min = bounds.minSize ?? Math.min(MI, Math.max(node.maxSize, 0));
    if (wantedSize < 0 && !bounds.allowDisable) {
      clamp('maxSize', 'policyAllowDisable false', String(node.maxSize));
    } else if (wantedSize >= 0 && max >= 0 && wantedSize > max) {
      policy.maxSize = max;
      clamp('maxSize', `policyMaxSize ${max}`, String(max));
    } else if (wantedSize >= 0 && wantedSize < min) {
      policy.maxSize = min;
      clamp('maxSize', `policyMinSize ${min}`, String(min));
    } else policy.maxSize = wantedSize;
  }
  if (wanted.maxFiles !== undefined) {
    const max = bounds.maxFiles ?? node.maxFiles;
    policy.maxFiles = Math.min(wanted.maxFiles, max);
    if (wanted.maxFiles > max) clamp('maxFiles', `policyMaxFiles ${max}`, String(max));
  }
  if (wanted.maxAgeMs !== undefined && wanted.maxAgeMs !== null) {
    const min = bounds.minAgeMs;
    policy.maxAgeMs = min !== null && wanted.maxAgeMs < min ? min : wanted.maxAgeMs;
    if (min !== null && wanted.maxAgeMs < min)
      clamp('maxAgeMs', `policyMinAge ${formatDuration(min)}`, formatDuration(min));
  }
  if (wanted.compression !== undefined) {
    const wantedCodec = wanted.compression;
    const allowed = bounds.compression;
    const range = wantedCodec.codec === 'none' ? undefined : allowed.codecs[wantedCodec.codec as CodecName];
    const bound = `policyCompression ${formatCodecAllowance(allowed)}`;
    if (wantedCodec.codec === 'none' ? allowed.none : range !== undefined) {
      const level = range ? Math.min(Math.max(wantedCodec.level, range.min), range.max) : wantedCodec.level;
      policy.compression = { codec: wantedCodec.codec, level };
      if (level !== wantedCodec.level) clamp('compression', bound, codecText(policy.compression));
    } else clamp('compression', bound, codecText(node.compression));
  }
  return { policy, clamped };
}
