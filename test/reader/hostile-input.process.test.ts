import { execFileSync } from 'node:child_process';
import { createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useBuiltCli } from '../cli/build-cli.js';
import { runCliProcess } from '../cli/spawn-cli.js';
import { tempDir } from '../helpers/tmpdir.js';

// Hostile or odd log files against the built `crilog logs`, as a child process: memory is the child's
// own peak RSS (reported by a preload at exit), time is wall time with a generous bound for a loaded CI.
const cli = useBuiltCli();
const MiB = 1024 * 1024;
const TS = '2026-12-06T00:00:00.000000000Z';

/** Runs `crilog logs ...args` and returns its result with the child's peak RSS in MiB. */
async function logsWithRss(dir: string, args: string[]) {
  const preload = path.join(dir, 'rss.cjs');
  const report = path.join(dir, 'rss.txt');
  await fsp.writeFile(
    preload,
    `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(report)}, String(process.resourceUsage().maxRSS)));\n`,
  );
  const t0 = performance.now();
  const r = await runCliProcess(cli.main, ['logs', ...args], {
    env: { NODE_OPTIONS: `--require ${preload}` },
  });
  const seconds = (performance.now() - t0) / 1000;
  const rssMiB = Number(await fsp.readFile(report, 'utf8')) / 1024;
  return { ...r, seconds, rssMiB };
}

describe('crilog logs on hostile input (built CLI, child process)', () => {
  it('--tail 5 on a gzip bomb (under 1 MB, 256 MiB inflated) stays under 150 MB RSS', async () => {
    const dir = await tempDir('crilog-bomb-');
    const live = path.join(dir, '0.log');
    await fsp.writeFile(live, '');
    const line = Buffer.from(`${TS} stdout F ${'a'.repeat(1000)}\n`);
    const block = Buffer.concat(Array.from({ length: Math.ceil(MiB / line.length) }, () => line));
    let n = 0;
    const source = Readable.from(
      (function* () {
        for (; n < 256; n++) yield block;
        yield Buffer.from(`${TS} stdout F the end\n`);
      })(),
    );
    const bomb = `${live}.20261206-000000.gz`;
    await pipeline(source, zlib.createGzip({ level: 9 }), createWriteStream(bomb));
    expect((await fsp.stat(bomb)).size).toBeLessThan(1.5 * MiB);
    const r = await logsWithRss(dir, ['--path', live, '--tail', '5']);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout.split('\n');
    expect(out).toHaveLength(6);
    expect(out[4]).toBe('the end');
    expect(r.rssMiB).toBeLessThan(150);
  }, 120_000);

  it('a 96 MiB line without newline: read in linear time, cut at the cap with a marker and a warning; --tail 1 too', async () => {
    const dir = await tempDir('crilog-long-');
    const live = path.join(dir, '0.log');
    await fsp.writeFile(live, `${TS} stdout F before\n${TS} stdout F ${'x'.repeat(96 * MiB)}`);
    for (const extra of [[], ['--tail', '1']]) {
      const r = await logsWithRss(dir, ['--path', live, ...extra]);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.split('\n');
      const cut = lines[lines.length - 2]!;
      expect(cut.startsWith('xxxx')).toBe(true);
      expect(cut.endsWith('[crilog: line cut, longer than the line cap]')).toBe(true);
      expect(cut.length).toBeLessThan(16 * MiB + 100);
      expect(lines[0]).toBe(extra.length ? cut : 'before');
      expect(r.stderr).toMatch(
        /warning: a line of ".*0\.log"'s history is longer than 16777216 bytes: cut there/,
      );
      expect(r.seconds).toBeLessThan(30);
      expect(r.rssMiB).toBeLessThan(400);
    }
    const small = await logsWithRss(dir, ['--path', live, '--max-line-bytes', '1Ki']);
    // The cap is settable: cut at 1 KiB of the raw record, marker appended.
    expect(small.stdout.split('\n')[1]).toMatch(
      /^x{900,1024} \[crilog: line cut, longer than the line cap\]$/,
    );
  }, 180_000);

  it('a FIFO in place of the live log exits 1 at once naming it; a FIFO named as a rotation is not read', async () => {
    const dir = await tempDir('crilog-fifo-');
    const fifo = path.join(dir, 'fifo.log');
    execFileSync('mkfifo', [fifo]);
    const live = await logsWithRss(dir, ['--path', fifo]);
    expect(live.code).toBe(1);
    expect(live.stderr).toContain(`"${fifo}" is not a regular file`);
    expect(live.seconds).toBeLessThan(20);

    const logPath = path.join(dir, '0.log');
    await fsp.writeFile(logPath, `${TS} stdout F live line\n`);
    execFileSync('mkfifo', [`${logPath}.20261206-000000`]);
    const rotated = await logsWithRss(dir, ['--path', logPath]);
    expect({ code: rotated.code, stdout: rotated.stdout }).toEqual({ code: 0, stdout: 'live line\n' });
    expect(rotated.seconds).toBeLessThan(20);
  }, 60_000);
});
