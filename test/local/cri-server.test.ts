import { readFile, rename, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ContainerNotFoundError,
  ContainerNotRunningError,
  RuntimeError,
} from '../../src/errors/crilog-error.js';
import { CriRuntimeService } from '../../src/runtime/cri/index.js';
import { CriTestClient, hostNetworkSandboxConfig } from '../helpers/cri-test-client.js';
import { serveCri } from '../../src/runtime/local/cri-server.js';
import { LocalRuntime } from '../../src/runtime/local/local-runtime.js';
import { runRuntimeServer, type RuntimeServerHandle } from '../../src/runtime/local/runtime-server.js';
import { joinLines, readCri, tempDir, waitFor } from './helpers.js';

const node = process.execPath;
/** Prints a line every 5 ms until killed. */
const ticker = ['-e', `let i = 0; setInterval(() => console.log('tick ' + i++), 5)`];

let tmp: Awaited<ReturnType<typeof tempDir>>;
let handle: RuntimeServerHandle | undefined;
const clients: CriRuntimeService[] = [];
beforeEach(async () => {
  tmp = await tempDir('crilog-cri-');
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await handle?.close();
  handle = undefined;
  await tmp.cleanup();
});

function client<T extends CriRuntimeService>(make: () => T): T {
  const c = make();
  clients.push(c);
  return c;
}

describe('CRI server over the local runtime', () => {
  it('serves the RuntimeService port to crilog’s own CRI client', async () => {
    const socket = path.join(tmp.dir, 'crilog.sock');
    handle = await runRuntimeServer({
      socket,
      logRoot: path.join(tmp.dir, 'logs'),
      containers: [{ name: 'ticker', command: node, args: ticker, labels: { app: 'tick' } }],
      stopGracePeriodMs: 2000,
    });
    const cri = client(() => new CriRuntimeService({ endpoint: `unix://${socket}` }));
    expect(await cri.connect()).toMatchObject({
      runtimeName: 'crilog-local',
      runtimeApiVersion: 'v1',
      runtimeVersion: expect.any(String),
    });

    const [info] = await cri.listContainers();
    expect(info).toMatchObject({
      state: 'running',
      labels: { app: 'tick', 'io.kubernetes.container.name': 'ticker' },
    });
    const status = await cri.containerStatus(info!.id);
    expect(status.logPath).toBe(path.join(tmp.dir, 'logs', 'ticker', '0.log'));

    // A rotation as the manager does it: rename, reopen, and the process goes on in a fresh file.
    await waitFor(async () => (await readCri(status.logPath)).length > 2, 'first ticks');
    await rename(status.logPath, `${status.logPath}.1`);
    await cri.reopenContainerLog(info!.id);
    await waitFor(
      async () => (await readCri(status.logPath).catch(() => [])).length > 2,
      'ticks after reopen',
    );

    await handle.runtime.stop(info!.id);
    await expect(cri.reopenContainerLog(info!.id)).rejects.toBeInstanceOf(ContainerNotRunningError);
    await expect(cri.reopenContainerLog('no-such-id')).rejects.toBeInstanceOf(ContainerNotFoundError);
    await expect(cri.containerStatus('no-such-id')).rejects.toBeInstanceOf(ContainerNotFoundError);
    expect((await cri.listContainers())[0]!.state).toBe('exited');

    // Nothing lost across the reopen: the two files hold consecutive ticks.
    const ticks = [
      ...joinLines(await readCri(`${status.logPath}.1`), 'stdout'),
      ...joinLines(await readCri(status.logPath), 'stdout'),
    ];
    expect(ticks).toEqual(ticks.map((_, i) => `tick ${i}`));
  });

  it('answers like containerd: UNKNOWN "container is not running", NOT_FOUND for unknown ids', async () => {
    const runtime = new LocalRuntime({ logRoot: tmp.dir });
    const server = await serveCri(runtime, path.join(tmp.dir, 'raw.sock'));
    const id = runtime.add({ name: 'idle', command: 'true' });
    const cri = client(() => new CriRuntimeService({ endpoint: server.endpoint }));
    try {
      const notRunning = await cri.reopenContainerLog(id).catch((e: Error) => e);
      const cause = (notRunning as Error).cause as grpc.ServiceError;
      expect(cause.code).toBe(grpc.status.UNKNOWN);
      expect(cause.details).toMatch(/container is not running/);
      const notFound = await cri.reopenContainerLog('x').catch((e: Error) => e);
      expect(((notFound as Error).cause as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
    } finally {
      await server.close();
      await runtime.stopAll(0);
    }
  });

  it('runs the CRI container lifecycle with logs under the sandbox log directory', async () => {
    const socket = path.join(tmp.dir, 'life.sock');
    handle = await runRuntimeServer({ socket, logRoot: path.join(tmp.dir, 'root') });
    const cri = client(() => new CriTestClient({ endpoint: socket }));
    const logDirectory = path.join(tmp.dir, 'pods', 'default_web_1');
    const sandboxConfig = hostNetworkSandboxConfig({ name: 'web', logDirectory, labels: { suite: 'local' } });
    const sandbox = await cri.runPodSandbox(sandboxConfig);
    expect(await cri.listPodSandbox({ suite: 'local' })).toEqual([
      expect.objectContaining({ id: sandbox, state: 'SANDBOX_READY' }),
    ]);

    const id = await cri.createContainer(
      sandbox,
      {
        metadata: { name: 'app', attempt: 3 },
        image: { image: 'none' },
        command: ['sh', '-c'],
        args: ['echo "hello $WHO from $(pwd)"; echo oops >&2'],
        envs: [{ key: 'WHO', value: 'cri' }],
        working_dir: tmp.dir,
        labels: { suite: 'local' },
        log_path: 'app/3.log',
      },
      sandboxConfig,
    );
    expect((await cri.criContainerStatus(id)).state).toBe('CONTAINER_CREATED');
    await cri.startContainer(id);
    const status = await waitFor(async () => {
      const s = await cri.criContainerStatus(id);
      return s.state === 'CONTAINER_EXITED' && s;
    }, 'container exit');
    expect(status).toMatchObject({
      metadata: { name: 'app', attempt: 3 },
      exit_code: 0,
      reason: 'Completed',
      log_path: path.join(logDirectory, 'app', '3.log'),
      labels: { suite: 'local' },
    });
    // The port carries the Kubernetes names of container and pod (from the sandbox's metadata).
    const fromList = (await cri.listContainers()).find((c) => c.id === id);
    expect(fromList?.metadata).toEqual({
      name: 'app',
      attempt: 3,
      podName: 'web',
      podNamespace: 'default',
      podUid: expect.any(String),
    });
    expect((await cri.containerStatus(id)).metadata).toEqual(fromList?.metadata);
    expect(BigInt(status.finished_at) >= BigInt(status.started_at)).toBe(true);
    expect(BigInt(status.started_at) > 0n).toBe(true);
    const records = await readCri(status.log_path);
    expect(joinLines(records, 'stdout')).toEqual([`hello cri from ${tmp.dir}`]);
    expect(joinLines(records, 'stderr')).toEqual(['oops']);
    const listed = await cri.listCriContainers({ suite: 'local' });
    expect(listed).toEqual([
      expect.objectContaining({ id, pod_sandbox_id: sandbox, state: 'CONTAINER_EXITED' }),
    ]);

    // A long runner stopped through the CRI, then everything removed; removing twice is fine.
    const long = await cri.createContainer(
      sandbox,
      {
        metadata: { name: 'long' },
        image: { image: 'none' },
        command: [node, ...ticker],
        log_path: 'long/0.log',
      },
      sandboxConfig,
    );
    await cri.startContainer(long);
    const longLog = path.join(logDirectory, 'long', '0.log');
    await waitFor(async () => (await readCri(longLog)).length > 0, 'first tick');
    await cri.stopContainer(long, 1);
    expect((await cri.criContainerStatus(long)).state).toBe('CONTAINER_EXITED');
    await cri.removeContainer(long);
    await cri.removeContainer(long);
    expect(await cri.removeAll({ suite: 'local' })).toEqual([]);
    expect(await cri.listPodSandbox()).toEqual([]);
    expect(await cri.listCriContainers()).toEqual([]);
    expect(await readFile(longLog, 'utf8')).toMatch(/ stdout F tick 0\n/);
  });

  it('rejects bad requests with the field to fix', async () => {
    const socket = path.join(tmp.dir, 'bad.sock');
    handle = await runRuntimeServer({ socket, logRoot: tmp.dir });
    const cri = client(() => new CriTestClient({ endpoint: socket }));
    const sandboxConfig = hostNetworkSandboxConfig({ name: 'p', logDirectory: tmp.dir });
    const sandbox = await cri.runPodSandbox(sandboxConfig);
    const err = await cri
      .createContainer(sandbox, { metadata: { name: 'x' }, image: { image: 'busybox' } }, sandboxConfig)
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toMatch(/INVALID_ARGUMENT.*config\.command: must not be empty/);
    await expect(
      cri.createContainer(
        'nope',
        { metadata: { name: 'x' }, image: { image: '' }, command: ['true'] },
        sandboxConfig,
      ),
    ).rejects.toThrow(/NOT_FOUND.*pod sandbox "nope" not found/);
    const started = await cri.createContainer(
      sandbox,
      { metadata: { name: 'y' }, image: { image: '' }, command: ['no-such-program-xyz'] },
      sandboxConfig,
    );
    await expect(cri.startContainer(started)).rejects.toThrow(/ENOENT/);
  });

  it('replaces a stale socket but refuses one that is in use', async () => {
    const socket = path.join(tmp.dir, 'stale.sock');
    // A socket file nobody listens on any more.
    const dead = net.createServer().listen(socket);
    await new Promise((resolve) => dead.once('listening', resolve));
    await new Promise((resolve) => dead.close(resolve));
    await writeFile(path.join(tmp.dir, 'placeholder'), '');
    handle = await runRuntimeServer({ socket, logRoot: tmp.dir });
    await expect(runRuntimeServer({ socket, logRoot: tmp.dir })).rejects.toThrow(/in use by another server/);
    await expect(
      runRuntimeServer({ socket: path.join(tmp.dir, 'placeholder'), logRoot: tmp.dir }),
    ).rejects.toThrow(/is a regular file, not a socket/);
    await expect(runRuntimeServer({ socket: 'relative.sock', logRoot: tmp.dir })).rejects.toThrow(
      /must be absolute/,
    );
    await expect(
      runRuntimeServer({
        socket: path.join(tmp.dir, 'x.sock'),
        logRoot: tmp.dir,
        containers: [
          { name: 'ok', command: 'true' },
          { name: 'ok', command: 'true' },
        ],
      }),
    ).rejects.toThrow(/containers\[1\]\.name "ok" is invalid: must be unique/);
  });
});
