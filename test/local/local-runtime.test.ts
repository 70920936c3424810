import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ContainerNotFoundError,
  ContainerNotRunningError,
  InvalidOptionError,
} from '../../src/errors/crilog-error.js';
import { LocalRuntime } from '../../src/runtime/local/local-runtime.js';
import type { LocalExitEvent } from '../../src/runtime/local/local-container-types.js';
import { joinLines, readCri, tempDir, waitFor } from './helpers.js';

const node = process.execPath;
/** Prints "ready" once its SIGTERM handling is set up, then idles until killed. */
const idle = (onTerm = 'process.exit(0)') => [
  '-e',
  `process.on('SIGTERM', () => { ${onTerm} }); setInterval(() => {}, 1000); console.log('ready')`,
];

let tmp: Awaited<ReturnType<typeof tempDir>>;
let runtime: LocalRuntime;
const exits: LocalExitEvent[] = [];
beforeEach(async () => {
  tmp = await tempDir();
  exits.length = 0;
  runtime = new LocalRuntime({
    logRoot: tmp.dir,
    stopGracePeriodMs: 5000,
    restartBackoff: { initialMs: 5, maxMs: 20 },
    exitDrainMs: 500,
  });
  runtime.on('exit', (e) => exits.push(e));
});
afterEach(async () => {
  await runtime.stopAll(0);
  await tmp.cleanup();
});

const nextExit = () => once(runtime, 'exit').then(([e]) => e as LocalExitEvent);
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const readyIn = (logPath: string) =>
  waitFor(async () => (await readCri(logPath).catch(() => [])).some((r) => r.content === 'ready'), 'ready');

describe('LocalRuntime', () => {
  it('runs a process and logs both streams to <logRoot>/<name>/0.log', async () => {
    const id = runtime.add({
      name: 'hello',
      command: 'sh',
      args: ['-c', 'echo "out $GREETING"; echo err >&2; printf "\\n"; printf tail'],
      env: { GREETING: 'hi' },
      labels: { app: 'demo' },
      annotations: { owner: 'me' },
    });
    expect(id).toMatch(/^hello-[0-9a-f]{12}$/);
    expect(await runtime.listContainers()).toEqual([expect.objectContaining({ id, state: 'created' })]);
    const exited = nextExit();
    await runtime.start();
    expect(await exited).toMatchObject({
      id,
      name: 'hello',
      exitCode: 0,
      restartCount: 0,
      willRestart: false,
    });
    const status = await runtime.containerStatus(id);
    expect(status).toEqual({
      id,
      state: 'exited',
      logPath: path.join(tmp.dir, 'hello', '0.log'),
      labels: { 'io.kubernetes.container.name': 'hello', app: 'demo' },
      annotations: { owner: 'me', 'io.kubernetes.container.restartCount': '0' },
      metadata: { name: 'hello', attempt: 0, podName: 'hello', podNamespace: 'default' },
    });
    expect(path.isAbsolute(status.logPath)).toBe(true);
    const records = await readCri(status.logPath);
    expect(joinLines(records, 'stdout')).toEqual(['out hi', '', 'tail']);
    expect(joinLines(records, 'stderr')).toEqual(['err']);
    expect(records.at(-1)).toMatchObject({ tag: 'P', content: 'tail' });
    expect(runtime.inspect(id)).toMatchObject({ exitCode: 0, reason: 'Completed', restartCount: 0 });
    // Ids are derived from the log location: the same declaration gets the same id in a new runtime.
    expect(new LocalRuntime({ logRoot: tmp.dir }).add({ name: 'hello', command: 'true' })).toBe(id);
  });

  it('restarts on failure with a new log file per attempt until the process succeeds', async () => {
    const counter = path.join(tmp.dir, 'attempts');
    const script = `const fs=require('fs');let n=0;try{n=+fs.readFileSync(${JSON.stringify(counter)},'utf8')}catch{};fs.writeFileSync(${JSON.stringify(counter)},String(n+1));console.log('attempt '+n);process.exit(n<2?3:0)`;
    const id = runtime.add({ name: 'flaky', command: node, args: ['-e', script], restart: 'on-failure' });
    await runtime.start();
    await waitFor(() => exits.length === 3, 'three attempts');
    expect(exits.map((e) => [e.restartCount, e.exitCode, e.willRestart])).toEqual([
      [0, 3, true],
      [1, 3, true],
      [2, 0, false],
    ]);
    expect((await readdir(path.join(tmp.dir, 'flaky'))).sort()).toEqual(['0.log', '1.log', '2.log']);
    for (const n of [0, 1, 2]) {
      expect(joinLines(await readCri(path.join(tmp.dir, 'flaky', `${n}.log`)), 'stdout')).toEqual([
        `attempt ${n}`,
      ]);
    }
    expect(await runtime.containerStatus(id)).toMatchObject({
      state: 'exited',
      logPath: path.join(tmp.dir, 'flaky', '2.log'),
      annotations: { 'io.kubernetes.container.restartCount': '2' },
    });
  });

  it('restarts always until stopped, and stop() ends the restarts', async () => {
    const id = runtime.add({ name: 'loop', command: 'sh', args: ['-c', 'echo run'], restart: 'always' });
    await runtime.start();
    await waitFor(() => exits.length >= 3, 'three runs');
    await runtime.stop(id);
    const count = exits.length;
    const status = runtime.inspect(id);
    expect(status.state).toBe('exited');
    // Nothing is scheduled any more: longer than the longest backoff later, still no new attempt.
    const other = runtime.add({ name: 'probe', command: node, args: ['-e', 'setTimeout(() => {}, 50)'] });
    const probeExit = nextExit();
    await runtime.startContainer(other);
    await probeExit;
    await runtime.stop(other);
    await waitFor(() => exits.some((e) => e.id === other), 'probe exit');
    expect(exits.filter((e) => e.id === id).length).toBe(count);
    expect(runtime.inspect(id).restartCount).toBe(status.restartCount);
  });

  it('stops with SIGTERM, then SIGKILL after the grace period, and flushes the log', async () => {
    const polite = runtime.add({
      name: 'polite',
      command: node,
      args: idle(`console.log('bye'); process.exit(0)`),
    });
    const stubborn = runtime.add({ name: 'stubborn', command: node, args: idle(`console.log('no')`) });
    await runtime.start();
    const [p1, p2] = [runtime.inspect(polite), runtime.inspect(stubborn)];
    await Promise.all([readyIn(p1.logPath), readyIn(p2.logPath)]);
    expect(p1.state).toBe('running');
    expect(isAlive(p1.pid!)).toBe(true);

    await runtime.stop(polite);
    expect(runtime.inspect(polite)).toMatchObject({ state: 'exited', exitCode: 0 });
    expect(joinLines(await readCri(p1.logPath), 'stdout')).toEqual(['ready', 'bye']);

    // Long enough for the SIGTERM handler to run on a loaded machine; it never exits, so SIGKILL follows.
    await runtime.stop(stubborn, 1500);
    expect(runtime.inspect(stubborn)).toMatchObject({
      state: 'exited',
      exitCode: 137,
      signal: 'SIGKILL',
      reason: 'Error',
    });
    expect(joinLines(await readCri(p2.logPath), 'stdout')).toEqual(['ready', 'no']);
    expect(isAlive(p1.pid!) || isAlive(p2.pid!)).toBe(false);
  });

  it('reopens only running containers and reports unknown ones', async () => {
    const id = runtime.add({ name: 'idle', command: node, args: idle() });
    await expect(runtime.reopenContainerLog(id)).rejects.toBeInstanceOf(ContainerNotRunningError);
    await runtime.start();
    await runtime.reopenContainerLog(id);
    await runtime.stop(id);
    const err = await runtime.reopenContainerLog(id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContainerNotRunningError);
    expect((err as Error).message).toMatch(/is not running/);
    await expect(runtime.reopenContainerLog('nope')).rejects.toBeInstanceOf(ContainerNotFoundError);
    await expect(runtime.containerStatus('nope')).rejects.toBeInstanceOf(ContainerNotFoundError);
    await expect(runtime.stop('nope')).rejects.toBeInstanceOf(ContainerNotFoundError);
  });

  it('removes a running container after stopping it, freeing its name', async () => {
    const id = runtime.add({ name: 'gone', command: node, args: idle() });
    await runtime.start();
    const { pid } = runtime.inspect(id);
    await runtime.remove(id);
    expect(isAlive(pid!)).toBe(false);
    expect(await runtime.listContainers()).toEqual([]);
    await expect(runtime.containerStatus(id)).rejects.toBeInstanceOf(ContainerNotFoundError);
    expect(runtime.add({ name: 'gone', command: 'true' })).toBe(id);
  });

  it('reports a command that cannot be started', async () => {
    const id = runtime.add({ name: 'missing', command: 'definitely-not-a-command-xyz' });
    const exited = nextExit();
    await expect(runtime.start()).rejects.toThrow(
      /failed to start container "missing".*ENOENT.*check command/,
    );
    expect((await exited).error).toBeDefined();
    expect(runtime.inspect(id)).toMatchObject({ state: 'exited', exitCode: 127, reason: 'StartError' });
  });

  it('stopAll stops everything and no child outlives it', async () => {
    const ids = ['a', 'b', 'c'].map((name) =>
      runtime.add({ name, command: node, args: idle(`setTimeout(() => process.exit(0), 20)`) }),
    );
    await runtime.start();
    const pids = ids.map((id) => runtime.inspect(id).pid!);
    expect(pids.every(isAlive)).toBe(true);
    await runtime.stopAll();
    expect(pids.some(isAlive)).toBe(false);
    expect(runtime.snapshot().every((s) => s.state === 'exited')).toBe(true);
  });

  it('validates declarations with messages naming the field and the fix', () => {
    const bad: [unknown, RegExp][] = [
      [{ command: 'x' }, /container\.name: must be .*; e\.g\. "web"/],
      [{ name: '../etc', command: 'x' }, /container\.name "\.\.\/etc" is invalid: must be/],
      [{ name: 'a' }, /container\.command: must be a non-empty program name/],
      [{ name: 'a', command: 'x', args: [1] }, /container\.args \[1\] is invalid: must be a list of strings/],
      [
        { name: 'a', command: 'x', restart: 'sometimes' },
        /container\.restart "sometimes" is invalid: must be one of never, on-failure, always/,
      ],
      [
        { name: 'a', command: 'x', env: { N: 1 } },
        /container\.env \{"N":1\} is invalid: must map names to strings/,
      ],
      [
        { name: 'a', command: 'x', restartPolicy: 'always' },
        /container\.restartPolicy: unknown field; allowed: name, command/,
      ],
      ['sh', /container "sh" is invalid: must be an object/],
    ];
    for (const [spec, message] of bad) {
      expect(() => runtime.add(spec), JSON.stringify(spec)).toThrow(InvalidOptionError);
      expect(() => runtime.add(spec)).toThrow(message);
    }
    runtime.add({ name: 'dup', command: 'true' });
    expect(() => runtime.add({ name: 'dup', command: 'true' })).toThrow(
      /name "dup" is invalid: must be unique: another container has it/,
    );
    expect(() => new LocalRuntime({ logRoot: '' })).toThrow(
      /logRoot "" is invalid: must be a directory path/,
    );
    expect(() => new LocalRuntime({ logRoot: tmp.dir, maxLineSize: -1 })).toThrow(
      /maxLineSize -1 is invalid: must be a positive integer/,
    );
  });
});
