import { promises as fsp } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/** The parts of `ms` as a wall clock in `timeZone` shows them. */
function wallClock(ms: number, timeZone: string): Record<string, string> {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'longOffset',
  }).formatToParts(new Date(ms));
  return Object.fromEntries(parts.map((p) => [p.type, p.value]));
}

/** The kubelet's rotation stamp (`YYYYMMDD-hhmmss`) for a rotation at `ms` on a node in `timeZone`. */
export function kubeletStamp(ms: number, timeZone: string): string {
  const p = wallClock(ms, timeZone);
  return `${p.year}${p.month}${p.day}-${p.hour}${p.minute}${p.second}`;
}

/** A CRI timestamp as a runtime in `timeZone` writes it: local wall clock, nanoseconds, its offset. */
export function localCriTimestamp(ms: number, timeZone: string): string {
  const p = wallClock(ms, timeZone);
  const offset = p.timeZoneName === 'GMT' ? 'Z' : p.timeZoneName!.slice(3);
  const frac = String(ms % 1000).padStart(3, '0');
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}.${frac}123456${offset}`;
}

/** One rotation the kubelet left behind. */
export interface KubeletRotation {
  /** File name in the log directory. */
  name: string;
  /** When it was rotated (UTC ms). */
  rotatedAtMs: number;
  /** Sequence numbers of the lines it holds. */
  seqs: number[];
}

/**
 * Writes the rotations a kubelet on a node in `timeZone` leaves when it rotates `logName` every
 * `stepMs` from `startMs` on (`count` rotations, `linesPerFile` lines each, numbered from 0): names in
 * local time, all but the newest gzip'd the kubelet's way (the `.gz` gets the time of its compression,
 * the next rotation, as its modification time), plus the live log with the lines after the last
 * rotation. Returns the rotations in the order they really happened.
 */
export async function writeKubeletHistory(
  dir: string,
  logName: string,
  timeZone: string,
  opts: { startMs: number; stepMs: number; count: number; linesPerFile: number },
): Promise<{ rotations: KubeletRotation[]; liveSeqs: number[] }> {
  const rotations: KubeletRotation[] = [];
  let seq = 0;
  const fileOf = (endMs: number) => {
    const seqs: number[] = [];
    const lines: string[] = [];
    for (let i = 0; i < opts.linesPerFile; i++) {
      // Lines spread over the interval before the rotation.
      const at = endMs - opts.stepMs + Math.floor(((i + 1) * opts.stepMs) / (opts.linesPerFile + 1));
      seqs.push(seq);
      lines.push(`${localCriTimestamp(at, timeZone)} stdout F seq ${seq++}\n`);
    }
    return { seqs, text: lines.join('') };
  };
  for (let i = 0; i < opts.count; i++) {
    const at = opts.startMs + i * opts.stepMs;
    const name = `${logName}.${kubeletStamp(at, timeZone)}`;
    if (rotations.some((r) => r.name === name)) throw new Error(`fixture collision: ${name}`);
    const { seqs, text } = fileOf(at);
    const file = path.join(dir, name);
    const newest = i === opts.count - 1;
    if (newest) {
      await fsp.writeFile(file, text);
      await fsp.utimes(file, at / 1000, at / 1000);
      rotations.push({ name, rotatedAtMs: at, seqs });
    } else {
      await fsp.writeFile(`${file}.gz`, zlib.gzipSync(text));
      const compressedAt = (at + opts.stepMs) / 1000;
      await fsp.utimes(`${file}.gz`, compressedAt, compressedAt);
      rotations.push({ name: `${name}.gz`, rotatedAtMs: at, seqs });
    }
  }
  const live = fileOf(opts.startMs + opts.count * opts.stepMs);
  await fsp.writeFile(path.join(dir, logName), live.text);
  return { rotations, liveSeqs: live.seqs };
}

/** Zones east and west of UTC with the 2026 daylight-saving changes (UTC instants). */
export const DST_CASES: { zone: string; change: string; atMs: number }[] = [
  { zone: 'America/New_York', change: 'spring forward', atMs: Date.parse('2026-03-08T07:00:00Z') },
  { zone: 'America/New_York', change: 'fall back', atMs: Date.parse('2026-11-01T06:00:00Z') },
  { zone: 'Europe/Berlin', change: 'spring forward', atMs: Date.parse('2026-03-29T01:00:00Z') },
  { zone: 'Europe/Berlin', change: 'fall back', atMs: Date.parse('2026-10-25T01:00:00Z') },
  { zone: 'Australia/Sydney', change: 'fall back', atMs: Date.parse('2026-04-04T16:00:00Z') },
  { zone: 'Australia/Sydney', change: 'spring forward', atMs: Date.parse('2026-10-03T16:00:00Z') },
];
