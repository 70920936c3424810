import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';

/** One logical line of the generated container output. */
export interface ModelLine {
  /** ms since the epoch of its first chunk (chunk i is written at tsMs + i). */
  tsMs: number;
  stream: 'stdout' | 'stderr';
  content: string;
  /** Number of CRI records the line is split into (1 = a single F record). */
  chunks: number;
}

/** One physical line of a file: a CRI record, or garbage. */
export interface FileRecord {
  text: string;
  /** Index of the model line it belongs to (-1 for garbage). */
  line: number;
}

export const BASE_MS = Date.parse('2026-11-27T10:00:00Z');

/** RFC 3339 with nanoseconds, as containerd writes it (trailing zeros trimmed by Go; kept here on purpose). */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().slice(0, -1) + '123456Z';
}

/** A CRI record line (without newline). */
export function cri(ms: number, stream: 'stdout' | 'stderr', tag: 'P' | 'F', content: string): string {
  return `${rfc3339(ms)} ${stream} ${tag} ${content}`;
}

/**
 * A deterministic model: `count` lines one second apart starting at BASE_MS; every 3rd on stderr, every
 * 5th split into 3 chunks.
 */
export function makeModel(count: number, start = 0): ModelLine[] {
  return Array.from({ length: count }, (_, i) => {
    const k = start + i;
    return {
      tsMs: BASE_MS + k * 1000,
      stream: k % 3 === 2 ? 'stderr' : 'stdout',
      content: `line ${k} ${'x'.repeat(k % 11)}`,
      chunks: k % 5 === 4 ? 3 : 1,
    };
  });
}

/** The CRI records of `lines` in order, chunks split evenly. */
export function records(lines: ModelLine[], first = 0): FileRecord[] {
  const out: FileRecord[] = [];
  lines.forEach((l, i) => {
    const n = l.chunks;
    const size = Math.ceil(l.content.length / n);
    for (let c = 0; c < n; c++) {
      const piece = l.content.slice(c * size, (c + 1) * size);
      out.push({ text: cri(l.tsMs + c, l.stream, c === n - 1 ? 'F' : 'P', piece), line: first + i });
    }
  });
  return out;
}

/** How one file of a generated history is stored. */
export type FileKind = 'raw' | 'gz';

/** Writes records to `file`, raw or gzipped. */
export async function writeRecords(file: string, recs: FileRecord[], kind: FileKind = 'raw'): Promise<void> {
  const data = Buffer.from(recs.map((r) => r.text + '\n').join(''));
  await fsp.writeFile(file, kind === 'gz' ? zlib.gzipSync(data) : data);
}

/** Name of the n-th rotation of `logPath` (seconds apart, so the names sort in order). */
export function rotatedName(logPath: string, n: number, kind: FileKind = 'raw'): string {
  const d = new Date(BASE_MS + n * 1000).toISOString();
  const stamp = `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}-${d.slice(11, 13)}${d.slice(14, 16)}${d.slice(17, 19)}`;
  return `${logPath}.${stamp}${kind === 'gz' ? '.gz' : ''}`;
}

/**
 * Lays out `recs` over files: `split[i]` records go to file i (rotated, oldest first), the rest to the
 * live file. Returns the paths written.
 */
export async function writeHistory(
  dir: string,
  recs: FileRecord[],
  split: { count: number; kind: FileKind }[],
  name = 'c.log',
): Promise<{ logPath: string; files: string[] }> {
  const logPath = path.join(dir, name);
  const files: string[] = [];
  let at = 0;
  for (const [i, part] of split.entries()) {
    const file = rotatedName(logPath, i, part.kind);
    await writeRecords(file, recs.slice(at, at + part.count), part.kind);
    files.push(file);
    at += part.count;
  }
  await writeRecords(logPath, recs.slice(at));
  files.push(logPath);
  return { logPath, files };
}

/** What `readLogs` must print for `lines` under the options (since on whole-line boundaries). */
export function expected(
  lines: ModelLine[],
  opts: {
    stream?: 'stdout' | 'stderr' | 'all';
    sinceMs?: number;
    tail?: number;
    timestamps?: boolean;
    limitBytes?: number;
  } = {},
): string {
  let sel = lines.filter((l) => (opts.stream ?? 'all') === 'all' || l.stream === opts.stream);
  if (opts.sinceMs !== undefined) sel = sel.filter((l) => l.tsMs >= opts.sinceMs!);
  if (opts.tail !== undefined && opts.tail >= 0) sel = opts.tail === 0 ? [] : sel.slice(-opts.tail);
  const text = sel.map((l) => `${opts.timestamps ? rfc3339(l.tsMs) + ' ' : ''}${l.content}\n`).join('');
  return opts.limitBytes === undefined ? text : Buffer.from(text).subarray(0, opts.limitBytes).toString();
}

/** Collects a Writable's output as a string. */
export function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString() };
}
