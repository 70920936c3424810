import { EventEmitter } from 'node:events';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readVersion } from '../../src/cli/program.js';
import { RuntimeUnavailableError } from '../../src/errors/crilog-error.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';
import { tempDir } from '../helpers/tmpdir.js';
import { cli, fakeFactory, LogSink } from './cli-harness.js';

/** A log root with one container whose live log is `size` bytes, and the flags pointing crilog at it. */
async function node(size: number, extra: { outside?: boolean } = {}) {
  const dir = await tempDir('crilog-cli-');
  const root = path.join(dir, 'pods');
  const logPath = path.join(root, 'ns_pod_uid', 'app', '0.log');
  await fsp.mkdir(path.dirname(logPath), { recursive: true });
  await fsp.writeFile(logPath, Buffer.alloc(size, 'x'));
  const runtime = new FakeRuntime();
  runtime.add('c0ffee', logPath, 'running', { labels: { 'io.kubernetes.container.name': 'app' } });
  if (extra.outside) {
    const elsewhere = path.join(dir, 'elsewhere', '0.log');
    await fsp.mkdir(path.dirname(elsewhere));
    await fsp.writeFile(elsewhere, Buffer.alloc(size, 'y'));
    runtime.add('outside', elsewhere);
  }
  const flags = ['--log-root', root, '--lock-file', path.join(dir, 'crilog.lock'), '--max-size', '1Ki'];
  return {
    dir,
    root,
    logPath,
    runtime,
    flags,
    ctx: { runtimeFactories: { cri: fakeFactory(runtime) }, cwd: dir },
  };
}

describe('crilog CLI: help, version, usage errors', () => {
  it('prints the package version', async () => {
    const pkg = JSON.parse(await fsp.readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(readVersion()).toBe(pkg.version);
    for (const flag of ['--version', '-V']) {
      const r = await cli([flag]);
      expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    }
  });

  it.each([
    [[], ['daemon', 'rotate', 'status', 'clean', 'Exit codes']],
    [
      ['daemon'],
      [
        '--runtime-endpoint',
        '--max-size',
        '--max-files',
        '--workers',
        '--monitor-interval',
        '--metrics-address',
        '--log-level',
        '--config',
        '--log-root',
        '--lock-file',
        '--runtime',
      ],
    ],
    [['rotate'], ['--once', '--output', '--max-size']],
    [['status'], ['--daemon', '--output']],
    [['clean'], ['<container-id>']],
  ])('--help of %j lists %j', async (cmd, words) => {
    const r = await cli([...cmd, '--help']);
    expect(r.code).toBe(0);
    for (const w of words) expect(r.stdout).toContain(w);
  });

  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['daemon', '--max-fils', '3'], /unknown option '--max-fils'.*\n.*Did you mean --max-files\?/],
    [['daemon', '--max-size'], /option '--max-size <quantity>' argument missing/],
    [['rotate', '--once', '--output', 'yaml'], /argument 'yaml' is invalid. Allowed choices are table, json/],
    [['clean'], /missing required argument 'container-id'/],
    [[], /Usage: crilog/],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it.each([
    [['daemon', '--max-files', '1'], /--max-files 1 is invalid: must be an integer from 2 to 1,000,000/],
    // Units are required: "10" as 10 ms was a hazard; a timer cannot wait 30 days.
    [
      ['daemon', '--monitor-interval', '10'],
      /--monitor-interval "10" is invalid: a duration needs a unit; write 10ms/,
    ],
    [
      ['daemon', '--monitor-interval', '30d'],
      /--monitor-interval "30d" is invalid: must be at most 24d20h31m23.647s/,
    ],
    [
      ['daemon', '--policy-compression', 'gzip:0'],
      /--policy-compression "gzip:0" is invalid: gzip levels run from 1 to 9/,
    ],
    [['daemon', '--max-size', '10MB'], /--max-size "10MB" is invalid/],
    [['daemon', '--monitor-interval', 'often'], /--monitor-interval "often" is invalid/],
    [
      ['daemon', '--metrics-address', 'localhost'],
      /--metrics-address "localhost" is invalid: must be host:port/,
    ],
    [['daemon', '--runtime', 'docker'], /--runtime "docker" is invalid/],
    [
      ['daemon', '--runtime-endpoint', 'tcp://10.0.0.1:1'],
      /--runtime-endpoint "tcp:\/\/10.0.0.1:1" is invalid/,
    ],
    [['status', '--workers', '0'], /--workers 0 is invalid/],
    [['rotate', '--max-size', '1Mi'], /crilog rotate needs --once/],
    [
      ['daemon', '--config', '/nonexistent/crilog.yaml'],
      /--config "\/nonexistent\/crilog.yaml" is invalid: cannot read the config file: it does not exist/,
    ],
  ])('%j is rejected at start naming the flag, the value and the rule (exit 2)', async (argv, message) => {
    const r = await cli(argv);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  });

  it('rejects unknown keys and bad values of the config file (exit 2), before touching anything', async () => {
    const dir = await tempDir('crilog-cli-');
    const file = path.join(dir, 'config.yaml');
    await fsp.writeFile(file, 'maxSize: 10Mi\nmaxfiles: 3\nworkers: many\ncontainerLogMaxSize: 10Mi\n');
    const r = await cli(['daemon', '--config', file, '--lock-file', path.join(dir, 'lock')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`config file "${file}": maxfiles: unknown key; did you mean "maxFiles"?`);
    expect(r.stderr).toContain(
      `config file "${file}": containerLogMaxSize: unknown key: that is the kubelet's KubeletConfiguration name; crilog's key is "maxSize"`,
    );
    expect(r.stderr).toContain(
      `config file "${file}": workers: "many" is invalid: must be an integer from 1 to 256`,
    );
    await expect(fsp.access(path.join(dir, 'lock'))).rejects.toThrow();
  });

  it('needs a runtime endpoint for the CRI runtime (exit 2), naming both ways to give one', async () => {
    const dir = await tempDir('crilog-cli-');
    const r = await cli(['status', '--log-root', dir], { env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--runtime-endpoint .*CONTAINER_RUNTIME_ENDPOINT/);
  });
});

describe('crilog rotate --once', () => {
  it('rotates what is over the limit and prints a table', async () => {
    const n = await node(4096);
    const r = await cli(['rotate', '--once', ...n.flags], n.ctx);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^CONTAINER\s+ACTION\s+SIZE\s+LIMIT\s+ROTATED TO/);
    expect(r.stdout).toMatch(/c0ffee\s+rotated\s+4Ki\s+1Ki\s+0\.log\.\d{8}-\d{6}/);
    expect(r.stdout).toContain('1 containers: 1 rotated, 0 failed, 0 refused, 0 skipped');
    expect(n.runtime.count('reopenContainerLog', 'c0ffee')).toBe(1);
    // The lock is released afterwards.
    expect(await fsp.readdir(n.dir)).not.toContain('crilog.lock');
  });

  it('prints JSON with --output json, and refuses logs outside the roots without failing', async () => {
    const n = await node(4096, { outside: true });
    const r = await cli(['rotate', '--once', '--output', 'json', ...n.flags], n.ctx);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.containers).toEqual([
      expect.objectContaining({
        id: 'c0ffee',
        action: 'rotated',
        size: 4096,
        limit: 1024,
        rotatedTo: expect.stringMatching(/0\.log\.\d{8}-\d{6}$/),
      }),
      expect.objectContaining({
        id: 'outside',
        action: 'failed',
        error: expect.objectContaining({
          code: 'ERR_UNSAFE_PATH',
          message: expect.stringMatching(/outside the allowed log roots/),
        }),
      }),
    ]);
    // Never touched: still there, same size, not reopened.
    expect((await fsp.stat(path.join(n.dir, 'elsewhere', '0.log'))).size).toBe(4096);
    expect(n.runtime.count('reopenContainerLog', 'outside')).toBe(0);
    expect(
      r.logs.some((l) => l.level === 'warn' && String(l.msg).includes('outside the allowed log roots')),
    ).toBe(true);
  });

  it('exits 1 when a rotation fails', async () => {
    const n = await node(4096);
    n.runtime.fail('reopenContainerLog', new Error('reopen refused'));
    const r = await cli(['rotate', '--once', ...n.flags], n.ctx);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('reopen refused');
    // The rename was undone: the live log is back.
    expect((await fsp.stat(n.logPath)).size).toBe(4096);
  });

  it("exits 1 with the runtime's explanation when it cannot be reached", async () => {
    const n = await node(10);
    const probe = async (): Promise<string> => {
      throw new RuntimeUnavailableError('cannot use CRI runtime at "unix:///x.sock": nothing listens there');
    };
    const r = await cli(['rotate', '--once', ...n.flags], {
      ...n.ctx,
      runtimeFactories: { cri: fakeFactory(n.runtime, probe) },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('crilog: cannot use CRI runtime at "unix:///x.sock": nothing listens there');
  });

  it('refuses to run beside a live crilog holding the lock (exit 1, naming its PID)', async () => {
    const n = await node(4096);
    await fsp.writeFile(
      path.join(n.dir, 'crilog.lock'),
      JSON.stringify({ pid: process.ppid, command: 'crilog daemon', since: 'earlier' }),
    );
    const r = await cli(['rotate', '--once', ...n.flags], n.ctx);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`"crilog daemon" (PID ${process.ppid}`);
    expect(n.runtime.count('listContainers')).toBe(0);
  });
});

describe('crilog status', () => {
  it('shows each container with live size, limit, files, bytes and ratio', async () => {
    const n = await node(512, { outside: true });
    await fsp.writeFile(`${n.logPath}.20260101-000000`, Buffer.alloc(1024));
    const r = await cli(['status', ...n.flags], n.ctx);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^NAMESPACE\s+POD\s+CONTAINER\s+ID\s+STATE\s+LIVE \/ LIMIT\s+ROTATED\s+ON DISK\s+RATIO\s+LAST ROTATION\s+NOTE/,
    );
    expect(r.stdout).toMatch(
      /-\s+-\s+app\s+c0ffee\s+running\s+512B \/ 1Ki \(50%\)\s+1 \(0 gz\)\s+1.5Ki\s+-\s+\S+ ago/,
    );
    expect(r.stdout).toMatch(/outside\s+running\s+-.*outside log roots/);
    expect(r.stdout).toContain(
      '2 containers, 1 managed, 1 rotated file, 1.5Ki on disk; node limit 1Ki x 5 files',
    );
    const json = await cli(['status', '-o', 'json', ...n.flags], n.ctx);
    expect(JSON.parse(json.stdout)).toMatchObject({
      source: 'runtime',
      containers: [
        { id: 'c0ffee', liveBytes: 512, rotatedFiles: 1 },
        { id: 'outside', managed: false },
      ],
    });
    // Status is read-only: no lock, no reopen, nothing rotated.
    expect(n.runtime.count('reopenContainerLog')).toBe(0);
  });

  it("shows a running daemon's view with --daemon", async () => {
    const calls: string[] = [];
    const body = {
      generatedAt: '2026-01-01T00:00:00Z',
      source: 'daemon',
      limits: { maxSize: 1024, maxFiles: 5 },
      logRoots: ['/l'],
      containers: [],
      totals: { containers: 0, managed: 0, rotatedFiles: 0, bytesOnDisk: 0, rotations: 7 },
      daemon: { pid: 42, startedAt: '2026-01-01T00:00:00Z', ready: true, runtime: 'local /l' },
    };
    const fetch = (async (url: URL) => {
      calls.push(String(url));
      return new Response(JSON.stringify(body), { status: 200 });
    }) as unknown as typeof globalThis.fetch;
    const r = await cli(['status', '--daemon', '127.0.0.1:9753'], { fetch });
    expect(calls).toEqual(['http://127.0.0.1:9753/status']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('daemon PID 42 on local /l: ready');
    expect(r.stdout).toContain('7 rotations');
  });

  it('exits 1 when the daemon cannot be reached', async () => {
    const fetch = (async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
    }) as unknown as typeof globalThis.fetch;
    const r = await cli(['status', '--daemon', 'http://127.0.0.1:1'], { fetch });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach the crilog daemon at http:\/\/127.0.0.1:1: connect ECONNREFUSED/);
  });
});

describe('crilog clean', () => {
  it("removes a container's live log and rotations, nothing else", async () => {
    const n = await node(100);
    await fsp.writeFile(`${n.logPath}.20260101-000000.gz`, 'gz');
    await fsp.writeFile(`${n.logPath}.bak`, 'keep');
    const r = await cli(['clean', 'c0ffee', ...n.flags], n.ctx);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('container c0ffee: removed 2 files');
    expect(await fsp.readdir(path.dirname(n.logPath))).toEqual(['0.log.bak']);
  });

  it('exits 1 for an unknown container and refuses logs outside the roots', async () => {
    const n = await node(100, { outside: true });
    const unknown = await cli(['clean', 'nope', ...n.flags], n.ctx);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/container "nope" not found/);
    const outside = await cli(['clean', 'outside', '-o', 'json', ...n.flags], n.ctx);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/outside the allowed log roots/);
    expect((await fsp.stat(path.join(n.dir, 'elsewhere', '0.log'))).size).toBe(100);
  });
});

describe('crilog daemon (in-process)', () => {
  it('starts, rotates, logs one JSON line per rotation, and stops on SIGTERM with exit 0', async () => {
    const n = await node(4096);
    const signals = new EventEmitter();
    const logs = new LogSink();
    const running = cli(
      ['daemon', ...n.flags, '--metrics-address', '127.0.0.1:0', '--monitor-interval', '1h'],
      { ...n.ctx, signals, daemonLog: logs },
    );
    const started = await logs.waitFor('crilog daemon started');
    expect(started).toMatchObject({
      level: 'info',
      maxSize: 1024,
      metrics: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    });
    const rotated = await logs.waitFor('rotated');
    expect(rotated).toMatchObject({
      id: 'c0ffee',
      path: n.logPath,
      bytes: 4096,
      durationMs: expect.any(Number),
      rotatedTo: expect.stringContaining('0.log.'),
    });
    expect(await fsp.readFile(path.join(n.dir, 'crilog.lock'), 'utf8')).toContain(`"pid":${process.pid}`);
    signals.emit('SIGTERM');
    const r = await running;
    expect(r.code).toBe(0);
    expect(logs.lines.at(-1)).toMatchObject({ msg: 'stopped' });
    await expect(fsp.access(path.join(n.dir, 'crilog.lock'))).rejects.toThrow();
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('exits 1 when the metrics address is taken, releasing the lock', async () => {
    const n = await node(10);
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await cli(['daemon', ...n.flags, '--metrics-address', `127.0.0.1:${port}`], n.ctx);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`cannot listen on metrics address "127.0.0.1:${port}": the address is already in use`),
      );
      await expect(fsp.access(path.join(n.dir, 'crilog.lock'))).rejects.toThrow();
    } finally {
      server.close();
    }
  });
});
