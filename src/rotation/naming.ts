import path from 'node:path';
import { CODEC_SUFFIX, type CodecName } from '../codecs/codec-names.js';

export type { CodecName };

/** Suffix of a compression in progress, as the kubelet names it (`<rotated>.tmp`). */
export const TMP_SUFFIX = '.tmp';

/** The parts of a rotated file name after `<log>.`. */
export interface RotationKey {
  /** `YYYYMMDD-hhmmss`, UTC for names crilog makes; the kubelet used its local time. */
  stamp: string;
  /** 0 for the first rotation in a second (the kubelet's only form); 1, 2, ... for later ones. */
  seq: number;
}

/** A rotated file name taken apart. */
export interface ParsedRotatedName extends RotationKey {
  codec: CodecName | null;
  tmp: boolean;
}

/**
 * Sequence numbers of any length a JavaScript number holds exactly: a name crilog wrote must always parse
 * back, or the next rotation would pick the same name again (a 10-digit `-N` once did exactly that).
 */
const ROTATED = /^(\d{8}-\d{6})(?:-(\d{1,15}))?(\.gz|\.zst)?(\.tmp)?$/;

/**
 * Parses the name of a file that sits next to the live log `logName`. Returns `null` for anything
 * crilog did not (and the kubelet would not) have written, so foreign files are never touched.
 */
export function parseRotatedName(logName: string, fileName: string): ParsedRotatedName | null {
  if (!fileName.startsWith(`${logName}.`)) return null;
  const m = ROTATED.exec(fileName.slice(logName.length + 1));
  if (!m) return null;
  const suffix = m[3];
  return {
    stamp: m[1]!,
    seq: m[2] === undefined ? 0 : Number(m[2]),
    codec: suffix === '.gz' ? 'gzip' : suffix === '.zst' ? 'zstd' : null,
    tmp: m[4] !== undefined,
  };
}

/** Orders rotations by when they happened; never by plain string order, which `.gz` and `-N` break. */
export function compareKeys(a: RotationKey, b: RotationKey): number {
  if (a.stamp !== b.stamp) return a.stamp < b.stamp ? -1 : 1;
  return a.seq - b.seq;
}

/** The largest sequence number a rotated name may carry (15 digits, exact as a JavaScript number). */
export const MAX_SEQ = 999_999_999_999_999;

/** `YYYYMMDD-hhmmss` of `date` in UTC. */
export function formatStamp(date: Date): string {
  const iso = date.toISOString(); // 2026-11-27T09:21:23.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/**
 * The key of the next rotation: the current second, or just after the newest existing key when the
 * same second is taken or the clock went backwards, so names always sort in true rotation order.
 */
export function nextKey(now: Date, existing: readonly RotationKey[]): RotationKey {
  const candidate: RotationKey = { stamp: formatStamp(now), seq: 0 };
  let newest: RotationKey | undefined;
  for (const key of existing) if (!newest || compareKeys(key, newest) > 0) newest = key;
  if (!newest || compareKeys(candidate, newest) > 0) return candidate;
  if (newest.seq >= MAX_SEQ)
    throw new Error(
      `no free rotation name after "${newest.stamp}-${newest.seq}": remove the rotated files dated in the future`,
    );
  return { stamp: newest.stamp, seq: newest.seq + 1 };
}

/** The raw rotated path for `key`: `<log>.<stamp>` or `<log>.<stamp>-<seq>`. */
export function rotatedPath(logPath: string, key: RotationKey): string {
  return `${logPath}.${key.stamp}${key.seq === 0 ? '' : `-${key.seq}`}`;
}

/** Path of the compressed twin of a raw rotated file. */
export function compressedPath(rawPath: string, codec: CodecName): string {
  return rawPath + CODEC_SUFFIX[codec];
}

/** The live log's directory and base name. */
export function splitLogPath(logPath: string): { dir: string; name: string } {
  return { dir: path.dirname(logPath), name: path.basename(logPath) };
}
