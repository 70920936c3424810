import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmpdir.js';
import { useBuiltCli } from './build-cli.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const cli = useBuiltCli();

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the first run (npm start)', () => {
  it('runs the demo config on the local runtime, rotates within seconds, shows status and stops cleanly on SIGINT', async () => {
    // The demo config, as `npm start` uses it, with its paths relative to a copy in a temp dir.
    const dir = await tempDir('crilog-demo-');
    await fsp.mkdir(path.join(dir, 'examples'));
    const config = path.join(dir, 'examples', 'demo.yaml');
    await fsp.copyFile(path.join(repo, 'examples', 'demo.yaml'), config);
    const child = spawn(
      process.execPath,
      [
        cli.main,
        'daemon',
        '--runtime',
        'local',
        '--config',
        config,
        '--metrics-address',
        '127.0.0.1:0',
        '--status-view',
      ],
      {
        cwd: repo,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    const exited = once(child, 'exit');
    try {
      const logs = path.join(dir, '.demo', 'logs', 'orders-api');
      const rotated = await waitFor('a rotation of orders-api', async () => {
        const files = await fsp.readdir(logs).catch(() => []);
        return files.find((f) => /^0\.log\.\d{8}-\d{6}/.test(f));
      });
      expect(rotated).toBeDefined();
      await waitFor('the status view', async () =>
        /orders-api[^\n]*\srunning\s/.test(out) && /rotations/.test(out) ? true : undefined,
      );
      child.kill('SIGINT');
      const [code] = await exited;
      expect(code).toBe(0);
      expect(out).toContain('crilog stopped cleanly');
      // The JSON logs went to a file beside the log root, one line per rotation.
      const jsonLog = await fsp.readFile(path.join(dir, '.demo', 'crilog.log'), 'utf8');
      expect(jsonLog).toMatch(/"msg":"rotated"/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('output piped into a reader that stops early', () => {
  it('exits quietly with 0 when stdout is closed (crilog … | head)', async () => {
    const child = spawn(process.execPath, [cli.main, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.stdout.destroy(); // like `head` exiting before crilog has written
    const [code] = await once(child, 'exit');
    expect(err).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });
});
