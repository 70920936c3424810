import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CriRuntimeService } from '../../src/runtime/cri/index.js';
import { useBuiltCli } from './build-cli.js';
import { runCliProcess, spawnCli, type CliProcess } from './spawn-cli.js';
import os from 'node:os';

// The CLI contract: every command as a real child process of the built binary, over real CRI (gRPC on
// a unix socket) served by `crilog runtime serve`, itself a child process.
const cli = useBuiltCli();

let dir: string;
let socket: string;
let server: CliProcess;
let cri: CriRuntimeService;
let logs: string;
const ids: Record<string, string> = {};

/** Flags every command gets: the served runtime, the log root, a private lock. */
const node = () => ['--runtime-endpoint', `unix://${socket}`, '--log-root', logs];
const lock = () => ['--lock-file', path.join(dir, 'crilog.lock')];
const crilog = (...args: string[]) => runCliProcess(cli.main, args);

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; runtime stderr: ${server.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Numbers of `line N` output lines; asserts nothing else was printed. */
function numbers(out: string): number[] {
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = /^line (\d+)$/.exec(l);
      if (!m) throw new Error(`unexpected output line ${JSON.stringify(l)}`);
      return Number(m[1]);
    });
}

/** Every number once, in order, with no gap: what a correct reader prints for a counting writer. */
function expectContiguous(ns: number[], from = 0): void {
  expect(ns.length).toBeGreaterThan(0);
  expect(ns[0]).toBe(from);
  const gaps = ns.filter((n, i) => i > 0 && n !== ns[i - 1]! + 1);
  expect(gaps, 'lines missing, repeated or out of order').toEqual([]);
}

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'crilog-contract-'));
  logs = path.join(dir, 'logs');
  socket = path.join(dir, 'cri.sock');
  const config = path.join(dir, 'runtime.yaml');
  const counter =
    'let n = 0; setInterval(() => { for (let i = 0; i < 20; i++) console.log(`line ${n++}`); }, 5)';
  await fsp.writeFile(
    config,
    [
      'containers:',
      '  - name: app',
      `    command: ${process.execPath}`,
      `    args: ['-e', ${JSON.stringify(counter)}]`,
      '  - name: once',
      '    command: sh',
      `    args: ['-c', 'echo done']`,
      '  - name: flaky',
      '    command: sh',
      `    args: ['-c', 'echo run $$; sleep 0.2; exit 3']`,
      '    restart: on-failure',
      '',
    ].join('\n'),
  );
  server = spawnCli(
    cli.main,
    ['runtime', 'serve', '--socket', socket, '--config', config, '--log-root', logs, ...lock()],
    {},
    { outlivesTest: true },
  );
  cri = new CriRuntimeService({ endpoint: `unix://${socket}` });
  await until('the CRI server', () => cri.connect());
  for (const c of await cri.listContainers()) ids[c.metadata!.name] = c.id;
  await until('an exited "once"', async () =>
    (await cri.containerStatus(ids.once!)).state === 'exited' ? true : undefined,
  );
  await until('a restarted "flaky"', async () =>
    (await fsp.readdir(path.join(logs, 'flaky'))).includes('1.log') ? true : undefined,
  );
}, 120_000);

afterAll(async () => {
  cri?.close();
  if (server) {
    server.child.kill('SIGTERM');
    const { code } = await server.exited;
    expect(code, `runtime serve stops on SIGTERM with 0; stderr: ${server.stderr()}`).toBe(0);
  }
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
});

describe('the crilog binary over CRI (runtime serve)', () => {
  it('status: a table with namespace, pod, container and short ID; JSON with the same names', async () => {
    const r = await crilog('status', ...node(), ...lock());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^NAMESPACE\s+POD\s+CONTAINER\s+ID\s+STATE/);
    expect(r.stdout).toMatch(new RegExp(`default\\s+app\\s+app\\s+${ids.app!.slice(0, 13)}\\s+running`));
    expect(r.stdout).toMatch(/default\s+once\s+once\s+\S+\s+exited/);
    const json = await crilog('status', '-o', 'json', ...node(), ...lock());
    expect(JSON.parse(json.stdout).containers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: ids.app, namespace: 'default', pod: 'app', container: 'app' }),
      ]),
    );
    const bad = await crilog('status', ...node(), '--max-files', '1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-files');
  }, 120_000);

  it('logs: by pod name, by ID prefix, -c, -n, --prefix, -t, --tail, -p; unknown names exit 1 naming them', async () => {
    const all = await crilog('logs', 'app', ...node());
    expect(all.code, all.stderr).toBe(0);
    expectContiguous(numbers(all.stdout));

    const tail = await crilog('logs', ids.app!.slice(0, 6), ...node(), '--tail', '1', '-t', '--prefix');
    expect(tail.code, tail.stderr).toBe(0);
    expect(tail.stdout).toMatch(/^\[pod\/app\/app\] \d{4}-\d\d-\d\dT\S+Z line \d+\n$/);

    const c = await crilog('logs', 'once', '-c', 'once', '-n', 'default', ...node());
    expect(c).toMatchObject({ code: 0, stdout: 'done\n' });

    const prev = await crilog('logs', 'flaky', '-p', ...node());
    expect(prev.code, prev.stderr).toBe(0);
    expect(prev.stdout).toMatch(/^run \d+\n$/);

    for (const [args, message] of [
      [
        ['nosuchpod'],
        /no pod "nosuchpod" in namespace "default" and no container whose ID starts with "nosuchpod"/,
      ],
      [
        ['app', '-n', 'kube-system'],
        /no pod "app" in namespace "kube-system".*exists in namespace default: pass -n/,
      ],
      [
        ['app', '-c', 'sidecar'],
        /container "sidecar" is not in pod "app" in namespace "default"; its containers: app/,
      ],
      [['once', '-p'], /previous terminated container "once" in pod "once"/],
      [['--path', path.join(dir, 'nope.log')], /no log at ".*nope\.log"/],
    ] as const) {
      const r = await crilog('logs', ...args, ...node());
      expect({ code: r.code, stdout: r.stdout }, args.join(' ')).toEqual({ code: 1, stdout: '' });
      expect(r.stderr).toMatch(message);
    }
    const usage = await crilog('logs', 'app', '--since-time', '10m', ...node());
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--since-time "10m" is invalid: must be an RFC 3339 time');
  }, 180_000);

  it('logs -f: follows a pod across three rotations by `rotate --once` (raw, gzip), every line once, exits 0 on SIGTERM', async () => {
    const f = spawnCli(cli.main, ['logs', 'app', '-f', ...node()]);
    await f.waitForStdout((o) => o.includes('line 100\n'), 'the first lines');
    const liveLog = path.join(logs, 'app', '0.log');
    for (const compression of ['none', 'gzip', 'gzip']) {
      const r = await crilog(
        'rotate',
        '--once',
        ...node(),
        ...lock(),
        '--max-size',
        '1',
        '--max-files',
        '10',
        '--compression',
        compression,
        '--no-delay-compress',
        '-o',
        'json',
      );
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.stringify(JSON.parse(r.stdout))).toContain('rotated');
    }
    // A line written after the last rotation: the follower must get to it through all of them.
    const after = await until('a line in the new live log', async () => {
      const m = /line (\d+)\n$/.exec(await fsp.readFile(liveLog, 'utf8'));
      return m ? Number(m[1]) : undefined;
    });
    await f.waitForStdout((o) => o.includes(`line ${after}\n`), `line ${after}`);
    f.child.kill('SIGTERM');
    expect(await f.exited).toEqual({ code: 0, signal: null });
    expect(f.stderr()).toBe('');
    const ns = numbers(f.stdout());
    expectContiguous(ns);
    const files = await fsp.readdir(path.join(logs, 'app'));
    expect(files.filter((n) => n.endsWith('.gz')).length).toBeGreaterThanOrEqual(2);
  }, 180_000);

  it("clean: removes an exited container's logs (exit 0); an unknown ID exits 1", async () => {
    const r = await crilog('clean', ids.once!, ...node(), ...lock());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`container ${ids.once}: removed 1 file`);
    expect(r.stdout).toContain(path.join(logs, 'once', '0.log'));
    const gone = await crilog('clean', 'f00dfeed', ...node(), ...lock());
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('f00dfeed');
  }, 120_000);

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'daemon: rotates the served containers and exits 0 on %s',
    async (signal) => {
      const d = spawnCli(cli.main, [
        'daemon',
        ...node(),
        ...lock(),
        '--max-size',
        '16Ki',
        '--max-files',
        '3',
        '--metrics-address',
        '127.0.0.1:0',
      ]);
      await d.waitForStdout((o) => o.includes('"msg":"rotated"'), 'a rotation');
      d.child.kill(signal);
      expect(await d.exited).toEqual({ code: 0, signal: null });
      expect(d.stdout()).toContain('"msg":"stopped"');
    },
    120_000,
  );
});
