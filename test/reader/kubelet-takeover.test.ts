import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useBuiltCli } from '../cli/build-cli.js';
import { DST_CASES, writeKubeletHistory } from '../helpers/kubelet-history.js';
import { tempDir } from '../helpers/tmpdir.js';

const cli = useBuiltCli();

/** Runs the built `crilog` with the node's time zone set to `tz`. */
async function crilog(args: string[], tz: string, cwd?: string) {
  const child = spawn(process.execPath, [cli.main, ...args], {
    cwd,
    env: { ...process.env, TZ: tz, CONTAINER_RUNTIME_ENDPOINT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

describe('the built crilog on a node whose kubelet named rotations in local time', () => {
  for (const { zone, change, atMs } of DST_CASES) {
    it(`crilog logs prints the history in the order it was written (TZ=${zone}, ${change})`, async () => {
      const dir = await tempDir();
      const log = path.join(dir, '0.log');
      const { rotations, liveSeqs } = await writeKubeletHistory(dir, '0.log', zone, {
        startMs: atMs - 2 * 3600_000 + 7 * 60_000,
        stepMs: 25 * 60_000,
        count: 10,
        linesPerFile: 3,
      });
      const run = await crilog(['logs', '--path', log], zone);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const seqs = run.stdout
        .trim()
        .split('\n')
        .map((l) => Number(l.replace('seq ', '')));
      expect(seqs).toEqual([...rotations.flatMap((r) => r.seqs), ...liveSeqs]);
    });
  }

  for (const { zone, change, atMs } of DST_CASES.filter((c) => c.change === 'fall back')) {
    it(`crilog rotate --once trims the really oldest rotations (TZ=${zone}, ${change})`, async () => {
      const dir = await tempDir();
      const root = path.join(dir, 'logs');
      const app = path.join(root, 'app');
      await fsp.mkdir(app, { recursive: true });
      const { rotations } = await writeKubeletHistory(app, '0.log', zone, {
        startMs: atMs - 2 * 3600_000 + 7 * 60_000,
        stepMs: 25 * 60_000,
        count: 10,
        linesPerFile: 2,
      });
      const config = path.join(dir, 'crilog.yaml');
      await fsp.writeFile(
        config,
        [
          'runtime: local',
          'logRoots: [logs]',
          'lockFile: crilog.lock',
          'maxFiles: 4',
          'containers:',
          `  - { name: app, command: ${JSON.stringify(process.execPath)}, args: ['-e', 'setTimeout(() => {}, 20000)'] }`,
        ].join('\n'),
      );
      const run = await crilog(['rotate', '--once', '--config', config, '-o', 'json'], zone, dir);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      // Which rotations are kept is the point; whether the newest got compressed meanwhile is not.
      const base = (name: string) => name.replace(/\.gz$/, '');
      const kept = (await fsp.readdir(app))
        .filter((f) => f !== '0.log')
        .map(base)
        .sort();
      expect(kept).toEqual(
        rotations
          .slice(-3)
          .map((r) => base(r.name))
          .sort(),
      );
    });
  }
});
