import { EventEmitter } from 'node:events';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerLogsCommand, type LogsCommandDeps } from '../../src/cli/commands/logs.js';
import { runCli } from '../../src/cli/program.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';
import { tempDir } from '../helpers/tmpdir.js';
import { BASE_MS, cri, expected, makeModel, records, rfc3339, writeHistory } from './history-fixture.js';
import type { RuntimeFactory } from '../../src/daemon/runtime-factory.js';

const model = makeModel(60);

async function history() {
  const dir = await tempDir('crilog-cli-');
  return writeHistory(dir, records(model), [
    { count: 20, kind: 'gz' },
    { count: 20, kind: 'raw' },
  ]);
}

function capture() {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => void (out += s) },
    stderr: { write: (s: string) => void (err += s) },
    out: () => out,
    err: () => err,
  };
}

/** Runs `crilog <args>` the way the real binary does, with captured output. */
async function crilog(args: string[], extra: Partial<LogsCommandDeps> = {}) {
  const io = capture();
  const code = await runCli(args, { stdout: io.stdout, stderr: io.stderr, ...(extra as object) });
  return { code, out: io.out(), err: io.err() };
}

describe('crilog logs', () => {
  it('prints a history read by --path, with the reading flags', async () => {
    const { logPath } = await history();
    expect(await crilog(['logs', '--path', logPath])).toEqual({ code: 0, out: expected(model), err: '' });
    const r = await crilog(['logs', '--path', logPath, '--tail', '5', '--timestamps', '--stream', 'stderr']);
    expect(r.out).toBe(expected(model, { tail: 5, timestamps: true, stream: 'stderr' }));
    const since = await crilog([
      'logs',
      '--path',
      logPath,
      '--since',
      rfc3339(BASE_MS + 30_000),
      '--limit-bytes',
      '1Ki',
    ]);
    expect(since.out).toBe(expected(model, { sinceMs: BASE_MS + 30_000, limitBytes: 1024 }));
  });

  it('reads a container by id through the runtime and closes the runtime', async () => {
    const { logPath } = await history();
    const runtime = Object.assign(new FakeRuntime(), {
      closed: 0,
      close() {
        this.closed++;
      },
    });
    runtime.add('abc123', logPath, 'exited');
    const endpoints: (string | undefined)[] = [];
    const program = new Command().exitOverride();
    const io = capture();
    // The runtime comes from a factory, as the daemon's does.
    const criFactory: RuntimeFactory = async (config) => {
      endpoints.push(config.runtimeEndpoint ?? undefined);
      return { runtime, description: 'fake', probe: async () => 'fake', close: async () => runtime.close() };
    };
    const deps: LogsCommandDeps = { ...io, exitCode: -1, runtimeFactories: { cri: criFactory } };
    registerLogsCommand(program, deps);
    const root = path.dirname(logPath);
    await program.parseAsync(
      ['logs', 'abc1', '--runtime-endpoint', 'unix:///run/x.sock', '--log-root', root, '--tail', '2'],
      {
        from: 'user',
      },
    );
    expect(io.out()).toBe(expected(model, { tail: 2 }));
    expect(deps.exitCode).toBe(0);
    expect(endpoints).toEqual(['unix:///run/x.sock']);
    expect(runtime.closed).toBe(1);
  });

  it('prints warnings about damaged files to stderr and still exits 0', async () => {
    const { logPath, files } = await history();
    await fsp.writeFile(files[0]!, 'definitely not gzip');
    const r = await crilog(['logs', '--path', logPath]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^crilog logs: warning: .*truncated or corrupt/);
    expect(r.err).toContain(files[0]);
    expect(r.out.endsWith(expected(model.slice(records(model)[20]!.line + 1)))).toBe(true);
  });

  it.each([
    [['--tail', 'ten'], /--tail "ten" is invalid: must be a whole number; use --tail 100/],
    [['--tail', '-3'], /--tail -3 is invalid: must be a whole number of lines >= 0, or -1 for all/],
    [['--since', 'yesterday'], /--since "yesterday" is invalid: must be a duration or an RFC 3339 time/],
    // A bare number is neither: crictl reads it as a Unix time, a bare duration would be milliseconds.
    [
      ['--since', '1700000000'],
      /--since "1700000000" is invalid: must be a duration or an RFC 3339 time \(a duration needs a unit\); use a duration such as 10m or 1h30m, or an RFC 3339 time/,
    ],
    [['--limit-bytes', '0'], /--limit-bytes "0" is invalid: must be more than 0 bytes/],
    [['--limit-bytes', 'lots'], /--limit-bytes "lots" is invalid: must be a size/],
  ])('rejects %j with exit 2 and a message naming the flag', async (flags, message) => {
    const r = await crilog(['logs', '--path', '/nonexistent/c.log', ...flags]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('connects to the CRI runtime by default and rejects an unusable endpoint with exit 2', async () => {
    const r = await crilog(['logs', 'abc', '--runtime-endpoint', 'relative.sock']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/"relative.sock" is invalid/);
  });

  it('needs exactly one of a container id and --path', async () => {
    const none = await crilog(['logs']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/needs a pod, a container ID or --path/);
    const both = await crilog(['logs', 'abc', '--path', '/x/c.log']);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/pass one of them/);
    const stream = await crilog(['logs', '--path', '/x/c.log', '--stream', 'both']);
    expect(stream.code).toBe(2);
    expect(stream.err).toMatch(/stdout, stderr, all/);
  });

  it('follows until SIGINT, then exits 0', async () => {
    const dir = await tempDir('crilog-cli-');
    const logPath = path.join(dir, 'c.log');
    await fsp.writeFile(logPath, cri(BASE_MS, 'stdout', 'F', 'first') + '\n');
    const signals = new EventEmitter();
    const io = capture();
    const run = runCli(['logs', '--path', logPath, '-f'], { stdout: io.stdout, stderr: io.stderr, signals });
    const deadline = Date.now() + 10_000;
    const until = async (cond: () => boolean) => {
      while (!cond()) {
        if (Date.now() > deadline) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    await until(() => io.out() === 'first\n');
    await fsp.appendFile(logPath, cri(BASE_MS + 1, 'stdout', 'F', 'second') + '\n');
    await until(() => io.out() === 'first\nsecond\n');
    await until(() => signals.listenerCount('SIGINT') > 0);
    signals.emit('SIGINT');
    expect(await run).toBe(0);
    expect(signals.listenerCount('SIGINT')).toBe(0);
  });
});
