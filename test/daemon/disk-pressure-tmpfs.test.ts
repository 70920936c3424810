import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBuiltCli } from '../cli/build-cli.js';
import { metricValue, spawnCli } from '../helpers/cli-process.js';
import { tempDir } from '../helpers/tmpdir.js';

const cli = useBuiltCli();
const MiB = 1024 * 1024;

/** A real 16 MiB tmpfs, or the reason there is none (not root, no mount permission). */
async function mountTmpfs(): Promise<{ dir: string; mnt: string } | string> {
  const dir = await fsp.mkdtemp('/tmp/crilog-tmpfs-');
  const mnt = path.join(dir, 'mnt');
  await fsp.mkdir(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0755', 'tmpfs', mnt], { stdio: 'pipe' });
    return { dir, mnt };
  } catch (err) {
    await fsp.rm(dir, { recursive: true, force: true });
    return String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim();
  }
}

let fs: { dir: string; mnt: string } | string = 'not mounted yet';
beforeAll(async () => {
  fs = await mountTmpfs();
});
afterAll(async () => {
  if (typeof fs === 'string') return;
  try {
    execFileSync('umount', [fs.mnt], { stdio: 'pipe' });
  } catch {
    execFileSync('umount', ['-l', fs.mnt], { stdio: 'pipe' });
  }
  await fsp.rm(fs.dir, { recursive: true, force: true });
});

// Random, so compression alone cannot relieve the disk: deleting rotations must.
const WRITER = `const c = require('crypto'); let i = 0; setInterval(() => { for (let k = 0; k < 40; k++) console.log('seq', i++, c.randomBytes(72).toString('base64')); }, 10);`;
// Another process fills the disk in steps, then waits; on SIGTERM it removes its file ("goes").
const FILLER = `const fs = require('fs'); const f = process.argv[1]; const fd = fs.openSync(f, 'w'); let n = 0;
const t = setInterval(() => { fs.writeSync(fd, Buffer.alloc(256 * 1024, 0x61)); if (++n === Number(process.argv[2])) { clearInterval(t); fs.fsyncSync(fd); console.log('filled'); } }, 20);
process.on('SIGTERM', () => { fs.closeSync(fd); fs.unlinkSync(f); process.exit(0); }); setInterval(() => {}, 1 << 30);`;

describe('disk pressure on a real tmpfs filled by another process', () => {
  it('relieves the disk while writers run, harms nothing else, and normal limits return when the filler goes', async (ctx) => {
    if (typeof fs === 'string') {
      console.warn(
        `skipped: cannot mount a tmpfs (${fs}); run the suite as root to test disk pressure on a real filesystem`,
      );
      ctx.skip();
      return;
    }
    const { mnt } = fs;
    const work = await tempDir('crilog-dp-');
    const root = path.join(mnt, 'logs');
    const config = path.join(work, 'crilog.yaml');
    await fsp.writeFile(
      config,
      [
        'runtime: local',
        `logRoots: [${JSON.stringify(root)}]`,
        `lockFile: ${JSON.stringify(path.join(work, 'crilog.lock'))}`,
        'metricsAddress: 127.0.0.1:0',
        'monitorInterval: 500ms',
        'maxSize: 256Ki',
        'maxFiles: 8',
        'minFree: 25%',
        'containers:',
        ...['a', 'b'].map(
          (n) =>
            `  - { name: ${n}, command: ${JSON.stringify(process.execPath)}, args: ['-e', ${JSON.stringify(WRITER)}] }`,
        ),
        '',
      ].join('\n'),
    );
    const p = spawnCli(cli.main, ['daemon', '--config', config], { cwd: work });
    const started = await p.logs.waitFor('crilog daemon started', 30_000);
    const rotations = () => p.logs.lines.filter((l) => l.msg === 'rotated').length;
    const scrape = async () => (await fetch(`http://${started.metrics}/metrics`)).text();
    // Rotations by name, a raw file and its compressed twin (briefly both exist) counted once.
    const rotatedFiles = async (name: string) => [
      ...new Set(
        (await fsp.readdir(path.join(root, name)))
          .filter((f) => /^0\.log\.\d{8}-\d{6}(-\d+)?(\.gz)?$/.test(f))
          .map((f) => f.replace(/\.gz$/, '')),
      ),
    ];
    // A foreign file next to the logs: crilog never touches it.
    await p.logs.waitUntil((l) => l.msg === 'rotated', 'a first rotation', 30_000);
    const foreign = path.join(root, 'a', '0.log.bak');
    await fsp.writeFile(foreign, 'keep me\n');
    // Steady state first: each container at its file limit.
    await p.logs.waitUntil(() => rotations() >= 16, 'sixteen rotations', 60_000);

    const fillerFile = path.join(mnt, 'filler.bin');
    const filler = spawn(process.execPath, ['-e', FILLER, fillerFile, '40'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let fillerOut = '';
    filler.stdout.setEncoding('utf8').on('data', (s: string) => (fillerOut += s));
    try {
      const episode = await p.logs.waitUntil(
        (l) => String(l.msg).startsWith('disk pressure: free space'),
        'a disk pressure log line',
        30_000,
      );
      expect(episode.level).toBe('warn');
      expect(episode.removed).toBeGreaterThan(0);
      await p.logs
        .waitUntil(() => fillerOut.includes('filled'), 'the filler to finish', 30_000)
        .catch(() => {});
      // Free space recovers above the threshold while the filler stays and the writers keep writing.
      const deadline = Date.now() + 30_000;
      let text = await scrape();
      const series = `{root="${root}"}`;
      while (metricValue(text, `crilog_disk_pressure${series}`) !== 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200)); // scrape interval: nothing to await on a metric
        text = await scrape();
      }
      expect(metricValue(text, `crilog_disk_pressure${series}`)).toBe(0);
      expect(metricValue(text, `crilog_disk_free_bytes${series}`)).toBeGreaterThanOrEqual(0.25 * 16 * MiB);
      expect(metricValue(text, 'crilog_removed_files_total{reason="disk-pressure"}')).toBeGreaterThan(0);
      // Nothing else harmed: the filler's file is whole, the foreign file stays, live logs exist and grow.
      expect((await fsp.stat(fillerFile)).size).toBe(40 * 256 * 1024);
      expect(await fsp.readFile(foreign, 'utf8')).toBe('keep me\n');
      for (const name of ['a', 'b'])
        expect((await fsp.lstat(path.join(root, name, '0.log'))).isFile()).toBe(true);
      // The writers still write: rotations go on under pressure.
      const n = rotations();
      await p.logs.waitUntil(() => rotations() > n + 2, 'rotations under pressure', 30_000);
      // One log line per episode.
      const lines = p.logs.lines.filter((l) => String(l.msg).startsWith('disk pressure: free space'));
      const episodes = lines.map((l) => l.episode);
      expect(new Set(episodes).size).toBe(episodes.length);
    } finally {
      const exited = once(filler, 'exit');
      filler.kill('SIGTERM');
      await exited;
    }
    await expect(fsp.access(fillerFile)).rejects.toThrow();

    // The filler went: the normal limits apply again, so each container fills up to maxFiles again.
    // A relief round may still be finishing; after the next rotation nothing more may be deleted for it.
    const n = rotations();
    await p.logs.waitUntil(() => rotations() > n, 'a rotation after the filler went', 30_000);
    const removedAfter = metricValue(await scrape(), 'crilog_removed_files_total{reason="disk-pressure"}')!;
    for (;;) {
      const counts = await Promise.all(['a', 'b'].map(rotatedFiles));
      if (counts.every((c) => c.length >= 7)) break;
      const seen = rotations();
      await p.logs.waitUntil(
        () => rotations() > seen,
        `rotations back to maxFiles (now ${counts.map((c) => c.length)})`,
        30_000,
      );
    }
    const text = await scrape();
    expect(metricValue(text, 'crilog_removed_files_total{reason="disk-pressure"}')).toBe(removedAfter);
    for (const name of ['a', 'b']) expect((await rotatedFiles(name)).length).toBeLessThanOrEqual(7);
    p.child.kill('SIGTERM');
    expect(await p.exited).toEqual({ code: 0, signal: null });
  }, 240_000);
});
