import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { promises as fsp } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ContainerLogManager, getAllLogs } from '../../src/index.js';
import { useBuiltCli } from '../cli/build-cli.js';
import { skipE2eUnlessContainerd, useContainerd } from '../helpers/containerd.js';
import { useCriClients } from './support/cri-clients.js';
import { countersInOutput } from './support/log-check.js';
import { BURST_COUNTER, onlyContainers, waitFor } from './support/workload.js';

const ROTATIONS = 4;

/**
 * `crilog logs POD -n NS -c NAME --follow` as operators run it: the built CLI as a child process, the
 * pod and container found by name over a real containerd's CRI, while the container's log is rotated
 * (rename, ReopenContainerLog, gzip of the older rotations) several times under the follower.
 */
describe.skipIf(skipE2eUnlessContainerd())('crilog logs --follow through a real containerd', () => {
  const suite = useContainerd();
  const cli = useBuiltCli();
  const { setup, workload } = useCriClients();

  it('follows a pod selected by name across rotations and compressions, every line once, until the container stops', async (ctx) => {
    const h = suite.get(ctx);
    const { runtime } = setup(h);
    const name = `follow${Date.now().toString(36)}`;
    const w = await workload(h, name, BURST_COUNTER);
    // pod by name, namespace and container, as kubectl takes them; the endpoint and root of this harness
    const select = [
      'logs',
      `e2e-${name}`,
      '-n',
      'default',
      '--runtime-endpoint',
      h.endpoint,
      '--log-root',
      w.logDir,
    ];

    const child = spawn(process.execPath, [cli.main, ...select, '-c', name, '--follow'], {
      env: { ...process.env, CONTAINER_RUNTIME_ENDPOINT: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
    const numbers = countersInOutput(out);
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
        await promisify(execFile)(process.execPath, [cli.main, ...select, ...args], {
          env: { ...process.env, CONTAINER_RUNTIME_ENDPOINT: '' },
          maxBuffer: 64 * 1024 * 1024,
        })
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
