import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';

/** A fresh temp dir and its cleanup. */
export async function tempDir(
  prefix = 'crilog-local-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** One parsed CRI record. */
export interface CriRecord {
  time: string;
  stream: 'stdout' | 'stderr';
  tag: 'P' | 'F';
  content: string;
}

const RECORD = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d*[1-9])?Z) (stdout|stderr) ([PF]) ([^]*)$/;

/** Parses CRI log text strictly: every line must be a well-formed record, the text must end with `\n`. */
export function parseCri(text: string): CriRecord[] {
  if (text === '') return [];
  expect(text.endsWith('\n'), 'CRI log must end with a newline').toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const m = RECORD.exec(line);
      if (!m) throw new Error(`malformed CRI record: ${JSON.stringify(line.slice(0, 200))}`);
      return {
        time: m[1]!,
        stream: m[2] as CriRecord['stream'],
        tag: m[3] as CriRecord['tag'],
        content: m[4]!,
      };
    });
}

/** Reads and parses a CRI log file. */
export async function readCri(file: string): Promise<CriRecord[]> {
  return parseCri(await readFile(file, 'utf8'));
}

/** Joins P chunks with the following record of the same stream, giving whole lines per stream. */
export function joinLines(records: CriRecord[], stream: CriRecord['stream']): string[] {
  const lines: string[] = [];
  let pending = '';
  for (const r of records) {
    if (r.stream !== stream) continue;
    pending += r.content;
    if (r.tag === 'F') {
      lines.push(pending);
      pending = '';
    }
  }
  if (pending !== '') lines.push(pending);
  return lines;
}

/** RFC3339Nano UTC timestamps to comparable nanoseconds. */
export function timeNs(time: string): bigint {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(time)!;
  return BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
): Promise<Exclude<T, false | 0 | '' | null | undefined>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, false | 0 | '' | null | undefined>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
