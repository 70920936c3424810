import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { promises as fsp } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ContainerLogManager, getAllLogs } from '../../src/index.js';
import { CriRuntimeService } from '../../src/runtime/cri/index.js';
import { CriTestClient } from '../helpers/cri-test-client.js';
import { useBuiltCli } from '../cli/build-cli.js';
import { skipE2eUnlessContainerd, useContainerd, type ContainerdHarness } from '../helpers/containerd.js';
import { BURST_COUNTER, onlyContainers, startWorkload, waitFor, type Workload } from './support/workload.js';

const ROTATIONS = 4;

/**
 * `crilog logs POD -n NS -c NAME --follow` as operators run it: the built CLI as a child process, the
 * pod and container found by name over a real containerd's CRI, while the container's log is rotated
 * (rename, ReopenContainerLog, gzip of the older rotations) several times under the follower.
 */
describe.skipIf(skipE2eUnlessContainerd())('crilog logs --follow through a real containerd', () => {
  const suite = useContainerd();
  const cli = useBuiltCli();
  let client: CriTestClient | undefined;
  let runtime: CriRuntimeService | undefined;
  const workloads: Workload[] = [];

  function setup(h: ContainerdHarness) {
    client ??= new CriTestClient({ endpoint: h.endpoint });
    runtime ??= new CriRuntimeService({ endpoint: h.endpoint });
    return { client, runtime };
  }

  afterEach(async () => {
    await Promise.all(workloads.splice(0).map((w) => w.dispose()));
  });
  afterAll(() => {
    client?.close();
    runtime?.close();
  });

  it('follows a pod selected by name across rotations and compressions, every line once, until the container stops', async (ctx) => {
    const h = suite.get(ctx);
    const { client, runtime } = setup(h);
    const name = `follow${Date.now().toString(36)}`;
    const w = await startWorkload(client, h, { name, script: BURST_COUNTER });
    workloads.push(w);

    const child = spawn(
      process.execPath,
      [
        cli.main,
        'logs',
        `e2e-${name}`,
        '-n',
        'default',
        '-c',
        name,
        '--follow',
        '--runtime-endpoint',
        h.endpoint,
        '--log-root',
        w.logDir,
      ],
      { env: { ...process.env, CONTAINER_RUNTIME_ENDPOINT: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = once(child, 'exit');
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    const printed = () => out.split('\n').length - 1;
    await waitFor(
      'the follower prints the first lines',
      async () => printed() > 10 || child.exitCode !== null,
    );
    expect(child.exitCode, err).toBeNull();

    // maxFiles high enough that nothing is trimmed: every line stays readable, so every line must be printed.
    const manager = new ContainerLogManager({
      runtime: onlyContainers(runtime, () => [w.containerId]),
      maxSize: '64Ki',
      maxFiles: 20,
      minRotationInterval: 0,
    });
    for (let round = 1; round <= ROTATIONS; round++) {
      await waitFor(
        `round ${round}: the live log over 64Ki`,
        async () => (await fsp.stat(w.logPath)).size >= 64 * 1024,
      );
      const pass = await manager.rotateOnce();
      expect(pass.containers.find((c) => c.id === w.containerId)?.action, `round ${round}`).toBe('rotated');
    }
    const files = await getAllLogs(w.logPath);
    expect(files.filter((f) => f.endsWith('.gz')).length, files.join(', ')).toBeGreaterThanOrEqual(
      ROTATIONS - 1,
    );

    await w.stop();
    // `-f` ends by itself once the container stops and everything it wrote was printed, as kubectl's does.
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    expect({ code, signal, err }).toEqual({ code: 0, signal: null, err: '' });

    const lines = out.split('\n').slice(0, -1);
    const numbers = lines.map((l) => /^line (\d+)$/.exec(l)?.[1]).map(Number);
    expect(lines.filter((l) => !/^line \d+$/.test(l)).slice(0, 5)).toEqual([]);
    // every line the container wrote, from the first, once and in order
    expect(numbers[0]).toBe(0);
    const gaps = numbers.flatMap((n, i) =>
      i > 0 && n !== numbers[i - 1]! + 1 ? [`${numbers[i - 1]} -> ${n}`] : [],
    );
    expect(gaps).toEqual([]);
    expect(numbers.length).toBeGreaterThan(ROTATIONS * 1000);

    // The container has stopped: the same selection with the other kubectl-style flags, over the history.
    const run = async (...args: string[]) =>
      (
        await promisify(execFile)(
          process.execPath,
          [
            cli.main,
            'logs',
            `e2e-${name}`,
            '-n',
            'default',
            ...args,
            '--runtime-endpoint',
            h.endpoint,
            '--log-root',
            w.logDir,
          ],
          { env: { ...process.env, CONTAINER_RUNTIME_ENDPOINT: '' }, maxBuffer: 64 * 1024 * 1024 },
        )
      ).stdout;
    expect(await run('-c', name, '--tail', '3')).toBe(
      lines
        .slice(-3)
        .map((l) => `${l}\n`)
        .join(''),
    );
    const prefixed = (await run('--all-containers', '--prefix', '--since', '1h')).split('\n').slice(0, -1);
    expect(prefixed.length).toBe(lines.length);
    expect(prefixed.at(-1)).toBe(`[pod/e2e-${name}/${name}] ${lines.at(-1)}`);
  }, 120_000);
});
