import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { getCodec } from '../../src/codecs/codec.js';
import { compareKeys, parseRotatedName, type ParsedRotatedName } from '../../src/rotation/naming.js';

/** One data file of a container's history (a raw or compressed rotation, or the live log). */
export interface DataFile {
  path: string;
  codec: 'gzip' | 'zstd' | null;
  live: boolean;
  mode: number;
  ino: number;
  size: number;
}

/** Everything next to a live log, as the fault suite judges it (`lstat` only: links are not followed). */
export interface LogDirScan {
  live: Stats | null;
  /** Rotations (oldest first) then the live log, regular files only; a raw file with a `.gz` twin is left out. */
  data: DataFile[];
  /** `.tmp` names (any file type). */
  tmp: string[];
  /** Raw rotations whose compressed twin also exists (an interrupted compression's last step). */
  twins: string[];
  /** Raw rotated names that are a second name of the live inode (an interrupted rename-back). */
  aliases: string[];
  /** Rotation-like names that are not regular files (symlinks, directories). */
  ignored: string[];
}

/** Lists a live log's files without following any link. */
export async function scanLogDir(logPath: string): Promise<LogDirScan> {
  const dir = path.dirname(logPath);
  const name = path.basename(logPath);
  const live = await fsp.lstat(logPath).catch(() => null);
  const scan: LogDirScan = { live, data: [], tmp: [], twins: [], aliases: [], ignored: [] };
  const entries = await fsp.readdir(dir).catch(() => [] as string[]);
  const rotated: (ParsedRotatedName & { file: DataFile })[] = [];
  const names = new Set(entries);
  for (const entry of entries) {
    const parsed = parseRotatedName(name, entry);
    if (!parsed) continue;
    const file = path.join(dir, entry);
    if (parsed.tmp) {
      scan.tmp.push(file);
      continue;
    }
    const st = await fsp.lstat(file).catch(() => null);
    if (!st) continue;
    if (!st.isFile()) {
      scan.ignored.push(file);
      continue;
    }
    if (parsed.codec === null && (names.has(`${entry}.gz`) || names.has(`${entry}.zst`))) {
      scan.twins.push(file);
      continue;
    }
    if (parsed.codec === null && live && st.ino === live.ino) {
      scan.aliases.push(file);
      continue;
    }
    rotated.push({
      ...parsed,
      file: {
        path: file,
        codec: parsed.codec,
        live: false,
        mode: st.mode & 0o7777,
        ino: st.ino,
        size: st.size,
      },
    });
  }
  rotated.sort(compareKeys);
  scan.data = rotated.map((r) => r.file);
  if (live?.isFile())
    scan.data.push({
      path: logPath,
      codec: null,
      live: true,
      mode: live.mode & 0o7777,
      ino: live.ino,
      size: live.size,
    });
  return scan;
}

/** The text of a data file, decompressed (`.gz`, or `.zst` where zstd is available). */
export async function readDataFile(file: string): Promise<string> {
  const data = await fsp.readFile(file);
  const codec = file.endsWith('.gz') ? 'gzip' : file.endsWith('.zst') ? 'zstd' : null;
  if (!codec) return data.toString('utf8');
  return (await buffer(Readable.from([data]).pipe(getCodec(codec).createDecompressor()))).toString('utf8');
}

const RECORD = /^(\S+) (stdout|stderr) ([PF]) (.*)$/;
const LINE = /^line (\d+)(?: \S*)?$/;
const END = /^end (\d+)$/;

/** The counter lines of a history, in file order. */
export interface History {
  numbers: number[];
  /** `end <count>` from the writer's SIGTERM handler: numbers 0..count-1 were written. */
  end: number | undefined;
  /** Lines that are neither CRI records of the counter nor its end marker (first 20). */
  malformed: string[];
  /** Files that do not end at a record boundary. */
  torn: string[];
}

/** Reads every data file of `scan` in order and collects the counter lines (P chunks joined). */
export async function readHistory(scan: LogDirScan): Promise<History> {
  const history: History = { numbers: [], end: undefined, malformed: [], torn: [] };
  const partial = { stdout: '', stderr: '' };
  for (const file of scan.data) {
    const text = await readDataFile(file.path);
    if (text !== '' && !text.endsWith('\n')) history.torn.push(file.path);
    for (const raw of text.split('\n')) {
      if (raw === '') continue;
      const m = RECORD.exec(raw);
      if (!m) {
        if (history.malformed.length < 20) history.malformed.push(`${file.path}: ${raw.slice(0, 120)}`);
        continue;
      }
      const stream = m[2] as 'stdout' | 'stderr';
      if (m[3] === 'P') {
        partial[stream] += m[4];
        continue;
      }
      const message = partial[stream] + m[4];
      partial[stream] = '';
      const n = LINE.exec(message);
      const e = END.exec(message);
      if (n) history.numbers.push(Number(n[1]));
      else if (e) history.end = Number(e[1]);
      else if (history.malformed.length < 20)
        history.malformed.push(`${file.path}: ${message.slice(0, 120)}`);
    }
  }
  return history;
}

/** What a history says about lost and duplicated lines. */
export interface CounterReport {
  /** Lines written (from the end marker). */
  written: number;
  /** Lines found, duplicates included. */
  found: number;
  /** First number present: above 0 only when retention removed whole old files. */
  first: number;
  /** Numbers in `first..written-1` never found (lost), and numbers seen twice; first 20 of each. */
  lost: number[];
  lostCount: number;
  duplicated: number[];
  duplicatedCount: number;
  /** Numbers found out of order (a file read in the wrong place), first 20. */
  outOfOrder: number[];
}

/** Compares the counter lines with what the writer reported writing. */
export function countLines(history: History, written: number): CounterReport {
  const seen = new Uint8Array(written);
  const report: CounterReport = {
    written,
    found: history.numbers.length,
    first: written,
    lost: [],
    lostCount: 0,
    duplicated: [],
    duplicatedCount: 0,
    outOfOrder: [],
  };
  let prev = -1;
  for (const n of history.numbers) {
    if (n < prev && report.outOfOrder.length < 20) report.outOfOrder.push(n);
    prev = n;
    if (n >= written) continue;
    if (seen[n]) {
      report.duplicatedCount++;
      if (report.duplicated.length < 20) report.duplicated.push(n);
    }
    seen[n] = 1;
  }
  for (let n = 0; n < written; n++) if (seen[n]) report.first = Math.min(report.first, n);
  for (let n = report.first; n < written; n++) {
    if (seen[n]) continue;
    report.lostCount++;
    if (report.lost.length < 20) report.lost.push(n);
  }
  return report;
}

/** The invariants every recovered state must meet, and how the history compares with what was written. */
export interface InvariantCheck {
  scan: LogDirScan;
  history: History;
  counters: CounterReport;
  /** Human-readable violations; empty when all invariants hold. */
  violations: string[];
}

/**
 * Checks the recovery invariants once the writer stopped: every line written is in exactly one data
 * file (from `first`, or from 0 when `complete`), at most `maxFiles` data files, no `.tmp`, no twin
 * or alias left, no file more readable than the live log.
 */
export async function checkInvariants(
  logPath: string,
  opts: {
    maxFiles: number;
    complete: boolean;
    /** Lines written; default the writer's end marker; `max` for writers without one (the highest line + 1). */
    written?: number | 'max';
  },
): Promise<InvariantCheck> {
  const scan = await scanLogDir(logPath);
  const history = await readHistory(scan);
  const written =
    opts.written === 'max'
      ? history.numbers.reduce((m, n) => Math.max(m, n + 1), 0)
      : (opts.written ?? history.end);
  const violations: string[] = [];
  if (written === undefined)
    violations.push('no end marker: the writer did not finish or its last line was lost');
  const counters = countLines(history, written ?? Math.max(-1, ...history.numbers) + 1);
  if (counters.lostCount)
    violations.push(`${counters.lostCount} lines lost, e.g. ${counters.lost.join(',')}`);
  if (counters.duplicatedCount)
    violations.push(`${counters.duplicatedCount} lines duplicated, e.g. ${counters.duplicated.join(',')}`);
  if (counters.outOfOrder.length) violations.push(`lines out of order: ${counters.outOfOrder.join(',')}`);
  if (opts.complete && counters.first !== 0)
    violations.push(`history starts at line ${counters.first}, not 0`);
  if (history.malformed.length) violations.push(`malformed lines: ${history.malformed.join(' | ')}`);
  if (history.torn.length) violations.push(`files torn mid-record: ${history.torn.join(', ')}`);
  if (!scan.live) violations.push(`live log "${logPath}" is missing`);
  if (scan.data.length > opts.maxFiles)
    violations.push(`${scan.data.length} data files, more than maxFiles ${opts.maxFiles}`);
  if (scan.tmp.length) violations.push(`.tmp left: ${scan.tmp.join(', ')}`);
  if (scan.twins.length) violations.push(`raw files next to their .gz: ${scan.twins.join(', ')}`);
  if (scan.aliases.length) violations.push(`second names of the live log: ${scan.aliases.join(', ')}`);
  const liveMode = scan.live ? scan.live.mode & 0o777 : 0o777;
  for (const f of scan.data)
    if ((f.mode & 0o777 & ~liveMode) !== 0)
      violations.push(
        `${f.path} has mode ${f.mode.toString(8)}, more readable than the live log's ${liveMode.toString(8)}`,
      );
  return { scan, history, counters, violations };
}

/** A one-line summary of a scan, for failure messages and crash-state assertions. */
export function describeScan(scan: LogDirScan): string {
  const base = (p: string) => path.basename(p);
  return JSON.stringify({
    live: scan.live ? { size: scan.live.size, ino: scan.live.ino } : null,
    data: scan.data.map((d) => `${base(d.path)}:${d.size}`),
    tmp: scan.tmp.map(base),
    twins: scan.twins.map(base),
    aliases: scan.aliases.map(base),
    ignored: scan.ignored.map(base),
  });
}
