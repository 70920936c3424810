import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmpdir.js';
import { useBuiltCli } from './build-cli.js';
import { spawnCli, type CliProcess } from '../helpers/cli-process.js';

const cli = useBuiltCli();

/** The built CLI as a child process, killed after the test if still running. */
const run = (args: string[], cwd?: string): CliProcess => spawnCli(cli.main, args, cwd ? { cwd } : {});

/** Flags for a daemon that needs nothing from the machine: its own lock, an ephemeral port, no runtime. */
async function isolated() {
  const dir = await tempDir('crilog-proc-');
  return {
    dir,
    lock: path.join(dir, 'crilog.lock'),
    flags: [
      '--log-root',
      path.join(dir, 'pods'),
      '--lock-file',
      path.join(dir, 'crilog.lock'),
      '--metrics-address',
      '127.0.0.1:0',
      '--runtime-endpoint',
      `unix://${dir}/missing.sock`,
    ],
  };
}

describe('the crilog binary', () => {
  it('prints its version and starts with a node shebang', async () => {
    const p = run(['--version']);
    expect(await p.exited).toEqual({ code: 0, signal: null });
    const pkg = JSON.parse(await fsp.readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    expect((await fsp.readFile(cli.main, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(pkg.bin.crilog).toBe('./dist/cli/main.js');
  });

  it('exits 2 on a bad flag value, before starting anything', async () => {
    const { flags, lock } = await isolated();
    const p = run(['daemon', ...flags, '--max-files', '1']);
    expect((await p.exited).code).toBe(2);
    expect(p.stderr()).toContain('--max-files 1 is invalid');
    await expect(fsp.access(lock)).rejects.toThrow();
  });

  // Issue 15: a duration needs a unit, a timer cannot wait 30 days, and a kubelet key gets crilog's name.
  it.each([
    [['--monitor-interval', '10'], '--monitor-interval "10" is invalid: a duration needs a unit; write 10ms'],
    [['--monitor-interval', '30d'], '--monitor-interval "30d" is invalid: must be at most 24d20h31m23.647s'],
    [['--max-age', '7'], '--max-age "7" is invalid: a duration needs a unit'],
  ])('exits 2 for %j, naming the fix', async (bad, message) => {
    const { flags, lock } = await isolated();
    const p = run(['daemon', ...flags, ...bad]);
    expect((await p.exited).code).toBe(2);
    expect(p.stderr()).toContain(message);
    await expect(fsp.access(lock)).rejects.toThrow();
  });

  it("exits 2 for a kubelet key in the config file, naming crilog's key", async () => {
    const { flags, lock } = await isolated();
    const file = path.join(path.dirname(lock), 'kubelet.yaml');
    await fsp.writeFile(file, 'containerLogMaxFiles: 5\n');
    const p = run(['daemon', ...flags, '--config', file]);
    expect((await p.exited).code).toBe(2);
    expect(p.stderr()).toContain("containerLogMaxFiles: unknown key: that is the kubelet's");
    expect(p.stderr()).toContain('crilog\'s key is "maxFiles"');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'stops on %s and exits 0 within a few seconds, releasing its lock',
    async (signal) => {
      const { flags, lock } = await isolated();
      const p = run(['daemon', ...flags]);
      const started = await p.logs.waitFor('crilog daemon started');
      expect(started.metrics).toMatch(/^127\.0\.0\.1:\d+$/);
      // The runtime socket does not exist: the daemon runs anyway and says it is not ready.
      const { code, text } = await fetch(`http://${started.metrics}/readyz`).then(async (r) => ({
        code: r.status,
        text: await r.text(),
      }));
      expect(code).toBe(503);
      expect(text).toMatch(/not ready/);
      const t0 = performance.now();
      p.child.kill(signal);
      expect(await p.exited).toEqual({ code: 0, signal: null });
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(p.logs.lines.map((l) => l.msg)).toEqual(
        expect.arrayContaining(['signal received; finishing in-flight rotations', 'stopped']),
      );
      await expect(fsp.access(lock)).rejects.toThrow();
    },
  );

  it('refuses a second daemon on the node (exit 1, naming the first one), and takes over after a crash', async () => {
    const { flags, lock } = await isolated();
    const first = run(['daemon', ...flags]);
    await first.logs.waitFor('crilog daemon started');
    const second = run(['daemon', ...flags]);
    expect((await second.exited).code).toBe(1);
    expect(second.stderr()).toContain(
      `another crilog is running on this node: "crilog daemon" (PID ${first.child.pid}`,
    );
    // A SIGKILLed daemon leaves its lock behind; the next start sees the holder is gone.
    first.child.kill('SIGKILL');
    await first.exited;
    expect(await fsp.readFile(lock, 'utf8')).toContain(`"pid":${first.child.pid}`);
    const third = run(['daemon', ...flags]);
    await third.logs.waitFor('crilog daemon started');
    third.child.kill('SIGTERM');
    expect((await third.exited).code).toBe(0);
  });

  it('runs the local runtime from a config file, rotates, and stops its processes on SIGTERM', async () => {
    const dir = await tempDir('crilog-proc-');
    const config = path.join(dir, 'crilog.yaml');
    await fsp.writeFile(
      config,
      [
        'runtime: local',
        'logRoots: [logs]',
        'lockFile: crilog.lock',
        'maxSize: 64Ki',
        'maxFiles: 3',
        'metricsAddress: 127.0.0.1:0',
        'containers:',
        '  - name: chatty',
        '    command: sh',
        '    args: ["-c", "while :; do echo crilog process test line; done"]',
        '',
      ].join('\n'),
    );
    const p = run(['daemon', '--config', config], dir);
    const started = await p.logs.waitFor('crilog daemon started');
    const rotated = await p.logs.waitFor('rotated');
    expect(rotated.path).toBe(path.join(dir, 'logs', 'chatty', '0.log'));
    const status = (await (await fetch(`http://${started.metrics}/status`)).json()) as {
      containers: { name: string; state: string; rotations: number }[];
    };
    expect(status.containers).toEqual([expect.objectContaining({ name: 'chatty', state: 'running' })]);
    p.child.kill('SIGTERM');
    expect(await p.exited).toEqual({ code: 0, signal: null });
    const files = await fsp.readdir(path.join(dir, 'logs', 'chatty'));
    expect(files.length).toBeLessThanOrEqual(3);
    expect(files).toContain('0.log');
  });
});
