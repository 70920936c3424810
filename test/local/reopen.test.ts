import { readFile, readdir, rename } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainerNotRunningError } from '../../src/errors/crilog-error.js';
import { LocalRuntime } from '../../src/runtime/local/local-runtime.js';
import type { LocalExitEvent } from '../../src/runtime/local/local-container-types.js';
import { joinLines, parseCri, tempDir, timeNs } from './helpers.js';

/** Writes `n` numbered stdout lines (every 500th one long, so it is split into P chunks), with backpressure. */
const WRITER = `
const n = Number(process.argv[1]);
let i = 0;
function line(i) { return i % 500 === 499 ? 'long-' + i + '-' + 'x'.repeat(40000) : 'line-' + i + ' ' + 'y'.repeat(i % 97); }
function pump() {
  while (i < n) {
    const s = line(i) + '\\n';
    if (i % 1000 === 0) process.stderr.write('err-' + i + '\\n');
    i++;
    if (!process.stdout.write(s)) return process.stdout.once('drain', pump);
  }
  process.stdout.write('unterminated-end');
}
pump();
`;

function expectedStdout(n: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(i % 500 === 499 ? `long-${i}-${'x'.repeat(40000)}` : `line-${i} ${'y'.repeat(i % 97)}`);
  lines.push('unterminated-end');
  return lines;
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
let runtime: LocalRuntime;
beforeEach(async () => {
  tmp = await tempDir();
  runtime = new LocalRuntime({ logRoot: tmp.dir, stopGracePeriodMs: 1000 });
});
afterEach(async () => {
  await runtime.stopAll(0);
  await tmp.cleanup();
});

describe('reopen under a fast writer', () => {
  it('loses and duplicates no byte across many rename+reopen cycles', async () => {
    const n = 150_000;
    const id = runtime.add({ name: 'fast', command: process.execPath, args: ['-e', WRITER, String(n)] });
    const exited = once(runtime, 'exit') as Promise<[LocalExitEvent]>;
    await runtime.start();
    const { logPath } = await runtime.containerStatus(id);
    let rotations = 0;
    let done = false;
    void exited.then(() => (done = true));
    while (!done) {
      const target = `${logPath}.${String(rotations + 1).padStart(5, '0')}`;
      await rename(logPath, target);
      rotations++;
      try {
        await runtime.reopenContainerLog(id);
      } catch (err) {
        // The process finished between rename and reopen: the renamed file already holds the end.
        expect(err).toBeInstanceOf(ContainerNotRunningError);
        break;
      }
    }
    const [exit] = await exited;
    expect(exit).toMatchObject({ exitCode: 0, willRestart: false });

    const dir = path.dirname(logPath);
    const rotated = (await readdir(dir)).filter((f) => f !== '0.log').sort();
    expect(rotated.length).toBe(rotations);
    const files = [...rotated.map((f) => path.join(dir, f)), logPath];
    let text = '';
    for (const f of files) {
      const part = await readFile(f, 'utf8').catch(() => '');
      // Every file holds whole records only.
      expect(part === '' || part.endsWith('\n'), `${f} ends mid-record`).toBe(true);
      text += part;
    }
    const records = parseCri(text);
    const stdout = joinLines(records, 'stdout');
    expect(stdout.length).toBe(n + 1);
    expect(stdout.join('\n') === expectedStdout(n).join('\n')).toBe(true);
    expect(joinLines(records, 'stderr')).toEqual(
      Array.from({ length: n / 1000 }, (_, k) => `err-${k * 1000}`),
    );
    // Long lines are split into 16 KiB P chunks, the unterminated end is a P record.
    expect(
      records
        .filter((r) => r.content.startsWith('long-') && r.tag === 'P')
        .every((r) => r.content.length === 16384),
    ).toBe(true);
    expect(records.at(-1)).toMatchObject({ tag: 'P', content: 'unterminated-end' });
    // File order is arrival order: timestamps never go backwards across both streams and all files.
    const backwards = records.findIndex((r, i) => i > 0 && timeNs(r.time) < timeNs(records[i - 1]!.time));
    expect(backwards).toBe(-1);
    console.log(`reopen test: ${rotations} rotations, ${records.length} records, ${text.length} bytes`);
    expect(rotations).toBeGreaterThanOrEqual(20);
  });
});
