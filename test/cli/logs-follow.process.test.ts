import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmpdir.js';
import { useBuiltCli } from './build-cli.js';
import { spawnCli } from './spawn-cli.js';

const cli = useBuiltCli();
const gzip = promisify(zlib.gzip);

/** A CRI record with the current time, as a runtime writes it. */
const record = (n: number) => `${new Date().toISOString()} stdout F line ${n}\n`;

/** `<log>.YYYYMMDD-hhmmss` names one second apart, so they sort as rotations. */
function rotatedName(logPath: string, n: number): string {
  const d = new Date(Date.UTC(2026, 11, 6, 0, 0, n)).toISOString();
  return `${logPath}.${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}-${d.slice(11, 13)}${d.slice(14, 16)}${d.slice(17, 19)}`;
}

/** Replaces a raw rotated file by its .gz, as crilog's compression does (gz first, then the raw unlinked). */
async function compress(file: string): Promise<void> {
  await fsp.writeFile(`${file}.gz`, await gzip(await fsp.readFile(file)));
  await fsp.unlink(file);
}

describe('crilog logs --follow as a child process', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'follows a log through four rotations (raw, compressed later, compressed at once), prints every line once in order, exits 0 on %s',
    async (signal) => {
      const dir = await tempDir('crilog-follow-');
      const logPath = path.join(dir, '0.log');
      let n = 0;
      let live = await fsp.open(logPath, 'a');
      const write = async (count: number) => {
        let text = '';
        for (let i = 0; i < count; i++) text += record(n++);
        await live.write(text);
      };
      await write(100); // history before the follow starts
      const p = spawnCli(cli.main, ['logs', '--path', logPath, '-f']);
      await p.waitForStdout((o) => o.includes('line 99\n'), 'the history');

      const rotations: string[] = [];
      const rotate = async (i: number) => {
        // The runtime keeps writing to the renamed file until it reopens: some lines land there.
        const rotated = rotatedName(logPath, i);
        await fsp.rename(logPath, rotated);
        rotations.push(rotated);
        await write(50);
        await live.close();
        live = await fsp.open(logPath, 'a');
        return rotated;
      };
      for (let i = 0; i < 4; i++) {
        await write(500);
        const rotated = await rotate(i);
        await write(200);
        if (i === 1) await compress(rotations[0]!); // the previous rotation, as with delayCompress
        if (i === 2) await compress(rotated); // the one just made, while the follower may still read it
      }
      await write(300);
      const last = `line ${n - 1}\n`;
      await p.waitForStdout((o) => o.endsWith(last), `the last line (${n - 1})`);
      p.child.kill(signal);
      expect(await p.exited).toEqual({ code: 0, signal: null });
      await live.close();
      expect(p.stderr()).toBe('');
      const expected = Array.from({ length: n }, (_, i) => `line ${i}\n`).join('');
      expect(p.stdout()).toBe(expected);
      const files = await fsp.readdir(dir);
      expect(files.filter((f) => f.endsWith('.gz'))).toHaveLength(2);
    },
  );

  it('exits 0 at once on SIGINT when the log is quiet, instead of exiting by itself', async () => {
    const dir = await tempDir('crilog-follow-');
    const logPath = path.join(dir, '0.log');
    await fsp.writeFile(logPath, record(0));
    const p = spawnCli(cli.main, ['logs', '--path', logPath, '--follow']);
    await p.waitForStdout((o) => o === 'line 0\n', 'the only line');
    // Still running well after the history was printed: a follow waits for new lines.
    await fsp.appendFile(logPath, record(1));
    await p.waitForStdout((o) => o === 'line 0\nline 1\n', 'a line written after the history');
    expect(p.child.exitCode).toBeNull();
    p.child.kill('SIGINT');
    expect(await p.exited).toEqual({ code: 0, signal: null });
  });
});
