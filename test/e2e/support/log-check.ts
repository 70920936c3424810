import { promises as fsp } from 'node:fs';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

const gunzipAsync = promisify(gunzip);

/** A CRI record: `<RFC3339Nano> <stream> <P|F> <content>`. */
const RECORD = /^(\S+) (stdout|stderr) ([PF]) (.*)$/;
const COUNTER = /^line (\d+)$/;

/** The counter values in plain text as `crilog logs` prints it (`line N` per line); other lines are skipped. */
export function countersInOutput(text: string | Buffer): number[] {
  return String(text)
    .split('\n')
    .flatMap((l) => {
      const m = COUNTER.exec(l);
      return m ? [Number(m[1])] : [];
    });
}

/** The text of a log file: `.gz` files are decompressed, anything else is read as is. */
export async function readLogText(file: string): Promise<string> {
  const data = await fsp.readFile(file);
  return (file.endsWith('.gz') ? await gunzipAsync(data) : data).toString('utf8');
}

/**
 * The counter values (`line N`) in CRI text, in order, and the first 20 lines that are not CRI records
 * of a counter. `P` chunks are joined with what follows, so `partial` carries an unfinished line from
 * one file to the next: containerd ends the old file with a `P` chunk when a reopen cuts a line.
 */
function countersInText(
  text: string,
  partial: { stdout: string; stderr: string },
  headMayBeTail = false,
): { numbers: number[]; malformed: string[] } {
  // Only whole lines count: the live file may be mid-write.
  const end = text.lastIndexOf('\n');
  const numbers: number[] = [];
  const malformed: string[] = [];
  for (const line of end < 0 ? [] : text.slice(0, end).split('\n')) {
    const m = RECORD.exec(line);
    if (!m) {
      if (malformed.length < 20) malformed.push(line);
      continue;
    }
    const stream = m[2] as 'stdout' | 'stderr';
    if (m[3] === 'P') {
      partial[stream] += m[4];
      continue;
    }
    const message = partial[stream] + m[4];
    partial[stream] = '';
    const c = COUNTER.exec(message);
    if (c) numbers.push(Number(c[1]));
    // The oldest file left may start with the end of a line whose first chunk was in a trimmed file.
    else if (headMayBeTail && numbers.length === 0 && malformed.length === 0) {
      headMayBeTail = false;
      continue;
    } else if (malformed.length < 20) malformed.push(line);
    headMayBeTail = false;
  }
  return { numbers, malformed };
}

/** The counter values in one file (see `countersInText`). */
export async function countersIn(file: string): Promise<{ numbers: number[]; malformed: string[] }> {
  return countersInText(await readLogText(file), { stdout: '', stderr: '' });
}

/** How a multiset of counter values compares to one contiguous run. */
export interface CounterCheck {
  count: number;
  min: number;
  max: number;
  /** Values seen more than once (first 20). */
  duplicates: number[];
  /** Values between min and max never seen (first 20). */
  missing: number[];
}

/** Checks that `numbers` hold every value from their minimum (or `from`) to their maximum exactly once. */
export function checkCounters(numbers: Iterable<number>, from?: number): CounterCheck {
  const seen = new Map<number, number>();
  let min = Infinity;
  let max = -Infinity;
  for (const n of numbers) {
    seen.set(n, (seen.get(n) ?? 0) + 1);
    if (n < min) min = n;
    if (n > max) max = n;
  }
  if (from !== undefined) min = from;
  const duplicates: number[] = [];
  for (const [n, k] of seen) if (k > 1 && duplicates.length < 20) duplicates.push(n);
  const missing: number[] = [];
  for (let n = min; n <= max && missing.length < 20; n++) if (!seen.has(n)) missing.push(n);
  return { count: seen.size, min, max, duplicates, missing };
}

/** Counter values across several files (oldest first), with the files that held unexpected lines. */
export async function countersAcross(files: string[]): Promise<{ numbers: number[]; malformed: string[] }> {
  const numbers: number[] = [];
  const malformed: string[] = [];
  const partial = { stdout: '', stderr: '' };
  for (const f of files) {
    let text;
    try {
      text = await readLogText(f);
    } catch (err) {
      // the live file may not exist yet right after a reopen
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const r = countersInText(text, partial, f === files[0]);
    // no push(...spread): a live file can hold more lines than the call stack has room for arguments
    for (const n of r.numbers) numbers.push(n);
    malformed.push(...r.malformed.map((l) => `${f}: ${l.slice(0, 120)}`));
  }
  return { numbers, malformed };
}
