import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useBuiltCli } from '../cli/build-cli.js';
import { spawnCli } from '../helpers/cli-process.js';
import { tempDir } from '../helpers/tmpdir.js';

const cli = useBuiltCli();
const LINES = 4000;
// About 400 KB over 4 s, then the container exits.
const WRITER = `let i = 0; const t = setInterval(() => { for (let k = 0; k < 10 && i < ${LINES}; k++) console.log('seq', i++, 'y'.repeat(80)); if (i >= ${LINES}) { clearInterval(t); } }, 10);`;
const ROTATED_RAW = /^0\.log\.\d{8}-\d{6}(-\d+)?$/;

/**
 * A slow shipper: it scans the log directory, ships raw rotated files by name (it cannot read .gz),
 * one every 400 ms, once a file has not changed for 500 ms, and finally the live log. Returns the
 * sequence numbers it shipped.
 */
async function slowShipper(
  dir: string,
  writerDone: () => boolean,
): Promise<{ seqs: number[]; mostFiles: number }> {
  const shipped = new Set<string>();
  const seqs: number[] = [];
  let mostFiles = 0;
  const take = (text: string) => {
    for (const line of text.split('\n')) {
      const m = / F seq (\d+) /.exec(line);
      if (m) seqs.push(Number(m[1]));
    }
  };
  for (;;) {
    const all = await fsp.readdir(dir);
    mostFiles = Math.max(
      mostFiles,
      all.filter((f) => /^0\.log(\.\d{8}-\d{6}(-\d+)?(\.gz)?)?$/.test(f)).length,
    );
    const names = all.filter((f) => ROTATED_RAW.test(f) && !shipped.has(f)).sort();
    let next: string | undefined;
    for (const name of names) {
      const st = await fsp.stat(path.join(dir, name)).catch(() => null);
      if (st && Date.now() - st.mtimeMs >= 500) {
        next = name;
        break;
      }
    }
    if (next) {
      const text = await fsp.readFile(path.join(dir, next), 'utf8').catch(() => null);
      shipped.add(next);
      if (text !== null) take(text);
    } else if (writerDone() && names.length === 0) {
      take(await fsp.readFile(path.join(dir, '0.log'), 'utf8'));
      return { seqs, mostFiles };
    }
    await new Promise((r) => setTimeout(r, 400)); // the shipper's own pace: it is slow on purpose
  }
}

async function run(extra: string[]) {
  const dir = await tempDir('crilog-ship-');
  const config = path.join(dir, 'crilog.yaml');
  await fsp.writeFile(
    config,
    [
      'runtime: local',
      'logRoots: [logs]',
      'lockFile: crilog.lock',
      'metricsAddress: 127.0.0.1:0',
      'monitorInterval: 1s',
      'maxSize: 16Ki',
      'maxFiles: 2',
      'delayCompress: false',
      'containers:',
      `  - { name: app, command: ${JSON.stringify(process.execPath)}, args: ['-e', ${JSON.stringify(WRITER)}] }`,
      ...extra,
      '',
    ].join('\n'),
  );
  const p = spawnCli(cli.main, ['daemon', '--config', config], { cwd: dir });
  const started = await p.logs.waitFor('crilog daemon started', 30_000);
  const logDir = path.join(dir, 'logs', 'app');
  // The container has exited (and its output is flushed) once the daemon's status says so.
  let exited = false;
  const writerDone = () => {
    if (!exited)
      void fetch(`http://${started.metrics}/status`)
        .then((r) => r.json() as Promise<{ containers: { name: string; state: string }[] }>)
        .then((s) => (exited = s.containers.some((c) => c.name === 'app' && c.state === 'exited')))
        .catch(() => {});
    return exited;
  };
  const { seqs, mostFiles } = await slowShipper(logDir, writerDone);
  p.child.kill('SIGTERM');
  expect((await p.exited).code).toBe(0);
  return { seqs, mostFiles, rotations: p.logs.lines.filter((l) => l.msg === 'rotated').length };
}

describe('--min-rotated-age: a grace period for log shippers', () => {
  it('lets a slow shipper read every line of every rotation, though maxFiles is exceeded meanwhile', async () => {
    const { seqs, rotations, mostFiles } = await run(['minRotatedAge: 60s']);
    expect(rotations).toBeGreaterThan(10);
    expect(mostFiles).toBeGreaterThan(2); // maxFiles 2, exceeded during the grace period
    expect(new Set(seqs).size).toBe(LINES);
    expect(Math.min(...seqs)).toBe(0);
    expect(Math.max(...seqs)).toBe(LINES - 1);
  }, 180_000);

  it('without it the same shipper loses rotations (compressed or trimmed before it got to them)', async () => {
    const { seqs } = await run([]);
    expect(new Set(seqs).size).toBeLessThan(LINES);
  }, 180_000);
});
