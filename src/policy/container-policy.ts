import { InvalidOptionError } from '../errors/crilog-error.js';
import {
  formatCodecAllowance,
  parseCompressionText,
  SETTINGS,
  type CodecAllowance,
  type CompressionPolicy,
  type Setting,
} from '../settings/index.js';
import { applyBounds, type PolicyBounds, type PolicyClamp } from './policy-bounds.js';

export { parseCompressionText as parseCompression, type CompressionPolicy };
export type { PolicyBounds, PolicyClamp, CodecAllowance };
export { formatCodecAllowance };

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
  /** Rotate a non-empty live log at least this often; `null` (or absent): only by size. */
  maxIntervalMs?: number | null;
}

/** The settings a container may override, with the field of `RotationPolicy` each one sets. */
const OVERRIDES = [
  ['maxSize', 'maxSize'],
  ['maxFiles', 'maxFiles'],
  ['maxAge', 'maxAgeMs'],
  ['compression', 'compression'],
] as const;

/** Annotation (or label) keys a workload may set to override the node's policy, from the settings table. */
export const POLICY_KEYS = Object.fromEntries(
  OVERRIDES.map(([key]) => [key, (SETTINGS[key] as Setting<unknown>).annotation as string]),
) as { readonly [K in (typeof OVERRIDES)[number][0]]: string };

/** Result of applying a container's annotations to the node policy. */
export interface ResolvedPolicy {
  policy: RotationPolicy;
  /** One message per rejected key; the node default applies for that key. */
  problems: string[];
  /** Values beyond the operator's bounds, and what was used instead. */
  clamped: PolicyClamp[];
}

/**
 * The policy for one container: the node's, overridden key by key by `crilog.io/*` annotations (or
 * labels, when no annotation sets the key), within the operator's bounds. A bad value never fails the
 * container: that key falls back to the node default and the problem is reported. A value beyond a
 * bound is clamped to it; a refused switch-off or codec falls back to the node's value.
 */
export function resolvePolicy(
  node: RotationPolicy,
  meta: { labels?: Record<string, string>; annotations?: Record<string, string> },
  bounds?: PolicyBounds,
): ResolvedPolicy {
  const wanted: Partial<RotationPolicy> = {};
  const problems: string[] = [];
  const raw: Partial<Record<keyof RotationPolicy, { annotation: string; value: string }>> = {};
  for (const [key, field] of OVERRIDES) {
    const annotation = POLICY_KEYS[key];
    const value = meta.annotations?.[annotation] ?? meta.labels?.[annotation];
    if (value === undefined) continue;
    try {
      (wanted as Record<string, unknown>)[field] = SETTINGS[key].kind.parse(value, {
        origin: 'annotation',
        base: '/',
      });
      raw[field] = { annotation, value };
    } catch (err) {
      if (!(err instanceof InvalidOptionError)) throw err;
      problems.push(`${err.as(annotation).message}; using the node default`);
    }
  }
  const { policy, clamped } = applyBounds(node, wanted, raw, bounds);
  return { policy, problems, clamped };
}
