import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ContainerNotFoundError,
  ContainerNotRunningError,
  RuntimeError,
  RuntimeUnavailableError,
} from '../../errors/crilog-error.js';
import { CriRuntimeService } from './cri-runtime-service.js';
import { loadRuntimeV1 } from './grpc-client.js';

type Handler = (req: Record<string, unknown>) => unknown;

/** A tiny CRI runtime in-process: handlers return a response, throw `{ code, details }`, or a promise. */
function startFakeRuntime(socketPath: string, handlers: Record<string, Handler>): Promise<grpc.Server> {
  const { RuntimeService } = loadRuntimeV1();
  const impl: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(RuntimeService.service)) {
    impl[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      const h = handlers[name];
      if (!h) return cb({ code: grpc.status.UNIMPLEMENTED, details: `${name} not faked` });
      Promise.resolve()
        .then(() => h(call.request as Record<string, unknown>))
        .then(
          (res) => cb(null, res ?? {}),
          (err: grpc.ServiceError) => cb(err),
        );
    };
  }
  const server = new grpc.Server();
  server.addService(RuntimeService.service, impl);
  return new Promise((resolve, reject) =>
    server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(server),
    ),
  );
}

function stopServer(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => server.tryShutdown(() => resolve()));
}

const containers = [
  { id: 'c-run', state: 'CONTAINER_RUNNING', labels: { app: 'a' }, annotations: { note: 'n' } },
  { id: 'c-exit', state: 'CONTAINER_EXITED', labels: {}, annotations: {} },
  { id: 'c-new', state: 'CONTAINER_CREATED' },
  { id: 'c-unk', state: 'CONTAINER_UNKNOWN' },
];

const handlers: Record<string, Handler> = {
  Version: () => ({
    version: '0.1.0',
    runtime_name: 'fake',
    runtime_version: '9.9.9',
    runtime_api_version: 'v1',
  }),
  ListContainers: () => ({ containers }),
  ContainerStatus: (req) => {
    const c = containers.find((x) => x.id === req.container_id);
    if (!c)
      throw { code: grpc.status.NOT_FOUND, details: `container "${String(req.container_id)}" not found` };
    return { status: { ...c, log_path: `/var/log/pods/ns_pod_uid/${c.id}/0.log` } };
  },
  ReopenContainerLog: (req) => {
    if (req.container_id === 'c-run') return {};
    if (req.container_id === 'c-exit')
      throw { code: grpc.status.UNKNOWN, details: 'container is not running' };
    if (req.container_id === 'slow') return new Promise((r) => setTimeout(() => r({}), 1000));
    if (req.container_id === 'broken') throw { code: grpc.status.INTERNAL, details: 'disk on fire' };
    throw { code: grpc.status.NOT_FOUND, details: 'an error occurred when try to find container' };
  },
};

let dir: string;
let sock: string;
const cleanups: (() => unknown)[] = [];

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'crilog-cri-'));
  sock = path.join(dir, 'cri.sock');
});

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
  await fsp.rm(dir, { recursive: true, force: true });
});

function service(opts: { callTimeoutMs?: number } = {}): CriRuntimeService {
  const s = new CriRuntimeService({ endpoint: `unix://${sock}`, ...opts });
  cleanups.push(() => s.close());
  return s;
}

async function fakeRuntime(h: Record<string, Handler> = handlers): Promise<grpc.Server> {
  const server = await startFakeRuntime(sock, h);
  cleanups.push(() => server.forceShutdown());
  return server;
}

describe('CriRuntimeService against an in-process CRI server', () => {
  it('reports the runtime version and maps containers and states', async () => {
    await fakeRuntime();
    const rt = service();
    expect(await rt.connect()).toEqual({
      runtimeName: 'fake',
      runtimeVersion: '9.9.9',
      runtimeApiVersion: 'v1',
    });
    expect(await rt.listContainers()).toEqual([
      { id: 'c-run', state: 'running', labels: { app: 'a' }, annotations: { note: 'n' } },
      { id: 'c-exit', state: 'exited', labels: {}, annotations: {} },
      { id: 'c-new', state: 'created', labels: {}, annotations: {} },
      { id: 'c-unk', state: 'unknown', labels: {}, annotations: {} },
    ]);
    expect(await rt.containerStatus('c-run')).toEqual({
      id: 'c-run',
      state: 'running',
      labels: { app: 'a' },
      annotations: { note: 'n' },
      logPath: '/var/log/pods/ns_pod_uid/c-run/0.log',
    });
  });

  it("carries the pod sandbox's crilog.io annotations over to its containers, the container's own winning", async () => {
    await fakeRuntime({
      ...handlers,
      ListContainers: () => ({
        containers: [
          {
            id: 'c-run',
            pod_sandbox_id: 'pod-1',
            state: 'CONTAINER_RUNNING',
            annotations: { 'crilog.io/max-files': '3' },
          },
          { id: 'c-exit', pod_sandbox_id: 'pod-2', state: 'CONTAINER_EXITED' },
        ],
      }),
      ListPodSandbox: () => ({
        items: [
          {
            id: 'pod-1',
            annotations: { 'crilog.io/max-size': '1Mi', 'crilog.io/max-files': '9', other: 'x' },
          },
          { id: 'pod-2', annotations: { other: 'y' } },
        ],
      }),
    });
    const rt = service();
    const list = await rt.listContainers();
    expect(list.map((c) => c.annotations)).toEqual([
      { 'crilog.io/max-size': '1Mi', 'crilog.io/max-files': '3' },
      {},
    ]);
    expect((await rt.containerStatus('c-run')).annotations).toEqual({
      'crilog.io/max-size': '1Mi',
      'crilog.io/max-files': '9',
      note: 'n',
    });
  });

  it('looks each pod sandbox up once, not at every list', async () => {
    const sandboxCalls: unknown[] = [];
    let containers = [{ id: 'c-1', pod_sandbox_id: 'pod-1', state: 'CONTAINER_RUNNING' }];
    const sandboxes = [
      { id: 'pod-1', annotations: { 'crilog.io/max-size': '1Mi' } },
      { id: 'pod-2', annotations: { 'crilog.io/max-size': '2Mi' } },
    ];
    await fakeRuntime({
      ...handlers,
      ListContainers: () => ({ containers }),
      ListPodSandbox: (req: { filter?: { id?: string } }) => {
        sandboxCalls.push(req.filter?.id ?? '');
        return { items: sandboxes.filter((s) => !req.filter?.id || s.id === req.filter.id) };
      },
    });
    const rt = service();
    expect((await rt.listContainers())[0]!.annotations).toEqual({ 'crilog.io/max-size': '1Mi' });
    await rt.listContainers();
    expect(sandboxCalls).toEqual(['pod-1']);
    containers = [...containers, { id: 'c-2', pod_sandbox_id: 'pod-2', state: 'CONTAINER_RUNNING' }];
    expect((await rt.listContainers())[1]!.annotations).toEqual({ 'crilog.io/max-size': '2Mi' });
    expect(sandboxCalls).toEqual(['pod-1', 'pod-2']);
  });

  it("hands out the last listing's entries for containers whose bytes did not change, and decodes the rest", async () => {
    let listed: object[] = [
      { id: 'c-1', pod_sandbox_id: 'pod-1', state: 'CONTAINER_RUNNING', labels: { a: '1' } },
      { id: 'c-2', pod_sandbox_id: 'pod-1', state: 'CONTAINER_RUNNING' },
      { id: 'c-3', state: 'CONTAINER_RUNNING' },
    ];
    let sandboxesAnswer = false;
    await fakeRuntime({
      ...handlers,
      ListContainers: () => ({ containers: listed }),
      ListPodSandbox: () => {
        if (!sandboxesAnswer) throw { code: grpc.status.UNAVAILABLE, details: 'busy' };
        return { items: [{ id: 'pod-1', annotations: { 'crilog.io/max-files': '4' } }] };
      },
    });
    const rt = service();
    const first = await rt.listContainers();
    const second = await rt.listContainers();
    expect(second).not.toBe(first);
    second.forEach((c, i) => expect(c).toBe(first[i]));
    // Entries are shared between listings, so nobody may change them.
    expect(Object.isFrozen(first[0]) && Object.isFrozen(first[0]!.labels)).toBe(true);
    expect(Object.isFrozen(first[0]!.annotations)).toBe(true);
    // The sandbox answers at last: its containers are rebuilt with its annotations, the other is not.
    sandboxesAnswer = true;
    const third = await rt.listContainers();
    expect(third.map((c) => c.annotations)).toEqual([
      { 'crilog.io/max-files': '4' },
      { 'crilog.io/max-files': '4' },
      {},
    ]);
    expect(third[2]).toBe(first[2]);
    // One stops, one goes, one comes: only those differ.
    listed = [
      { id: 'c-4', state: 'CONTAINER_CREATED' },
      { id: 'c-2', pod_sandbox_id: 'pod-1', state: 'CONTAINER_EXITED' },
      { id: 'c-3', state: 'CONTAINER_RUNNING' },
    ];
    const fourth = await rt.listContainers();
    expect(fourth.map((c) => [c.id, c.state])).toEqual([
      ['c-4', 'created'],
      ['c-2', 'exited'],
      ['c-3', 'running'],
    ]);
    expect(fourth[1]!.annotations).toEqual({ 'crilog.io/max-files': '4' });
    expect(fourth[2]).toBe(first[2]);
    // The same answer again, every sandbox known: the same entries, in a list of its own.
    const fifth = await rt.listContainers();
    expect(fifth).not.toBe(fourth);
    fifth.forEach((c, i) => expect(c).toBe(fourth[i]));
  });

  it('fails a listing it cannot decode with a runtime error naming the endpoint', async () => {
    const { RuntimeService } = loadRuntimeV1();
    const garbled = { ...RuntimeService.service };
    garbled.ListContainers = {
      ...garbled.ListContainers!,
      responseSerialize: () => Buffer.from([0x0a, 5, 1]),
    };
    const server = new grpc.Server();
    server.addService(garbled, {
      ListContainers: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, {}),
    });
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix://${sock}`, grpc.ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    cleanups.push(() => server.forceShutdown());
    const err = await service()
      .listContainers()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as Error).message).toMatch(
      /ListContainers from "unix:\/\/.*cri\.sock" returned a response that is not.*; point --runtime-endpoint at a CRI runtime\.v1 socket/,
    );
  });

  it('still lists containers when the runtime cannot list sandboxes', async () => {
    await fakeRuntime({
      ...handlers,
      ListPodSandbox: () => {
        throw { code: grpc.status.UNIMPLEMENTED, details: 'no' };
      },
    });
    expect(await service().listContainers()).toHaveLength(4);
  });

  it('maps reopen failures to typed errors', async () => {
    await fakeRuntime();
    const rt = service({ callTimeoutMs: 200 });
    await expect(rt.reopenContainerLog('c-run')).resolves.toBeUndefined();
    await expect(rt.reopenContainerLog('c-exit')).rejects.toBeInstanceOf(ContainerNotRunningError);
    await expect(rt.reopenContainerLog('gone')).rejects.toBeInstanceOf(ContainerNotFoundError);
    await expect(rt.containerStatus('gone')).rejects.toBeInstanceOf(ContainerNotFoundError);
    await expect(rt.reopenContainerLog('broken')).rejects.toThrow(RuntimeError);
    await expect(rt.reopenContainerLog('broken')).rejects.toThrow(
      /ReopenContainerLog.*INTERNAL: disk on fire/,
    );
    // The fake answers after 1 s; the 200 ms deadline turns that into "unavailable".
    const slow = await rt.reopenContainerLog('slow').catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(RuntimeUnavailableError);
    expect((slow as Error).message).toContain('DEADLINE_EXCEEDED');
  });

  it('fails connect with the endpoint and "does not exist" when the socket is missing', async () => {
    const err = await service({ callTimeoutMs: 300 })
      .connect()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeUnavailableError);
    expect((err as Error).message).toContain(`"unix://${sock}"`);
    expect((err as Error).message).toMatch(
      /does not exist.*tried: called Version with a 300 ms deadline: UNAVAILABLE/,
    );
  });

  it('fails connect naming the file type when the path is not a socket', async () => {
    await fsp.writeFile(sock, 'not a socket');
    await expect(service({ callTimeoutMs: 300 }).connect()).rejects.toThrow(
      /is a regular file, not a unix socket/,
    );
  });

  it('fails connect with "connection refused" on a stale socket', async () => {
    // A listener killed with SIGKILL leaves its socket file behind, as a crashed runtime does.
    const child = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    await new Promise((r) => child.once('exit', r));
    await expect(service({ callTimeoutMs: 300 }).connect()).rejects.toThrow(
      /nobody listens on it \(connection refused/,
    );
  });

  it('fails connect when the socket is not a gRPC server', async () => {
    const open = new Set<net.Socket>();
    const plain = net.createServer((s) => {
      open.add(s);
      s.end('hello\n');
    });
    await new Promise<void>((r) => plain.listen(sock, r));
    cleanups.push(() => {
      for (const s of open) s.destroy();
      return new Promise((r) => plain.close(r));
    });
    await expect(service({ callTimeoutMs: 300 }).connect()).rejects.toThrow(
      /accepts connections but does not answer as a CRI runtime.v1 server/,
    );
  });

  it('fails connect when the server does not implement runtime.v1', async () => {
    const server = new grpc.Server();
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix://${sock}`, grpc.ServerCredentials.createInsecure(), (e) =>
        e ? reject(e) : resolve(),
      ),
    );
    cleanups.push(() => server.forceShutdown());
    await expect(service().connect()).rejects.toThrow(
      /does not implement runtime.v1.RuntimeService.*UNIMPLEMENTED/,
    );
  });

  it('finds a runtime that starts after crilog within about a second', async () => {
    const rt = service();
    const connected = rt.connect({ waitMs: 10_000 });
    // Let the channel fail a few times and back off before the runtime appears.
    await new Promise((r) => setTimeout(r, 1500));
    const startedAt = Date.now();
    await fakeRuntime();
    await connected;
    expect(Date.now() - startedAt).toBeLessThan(1000);
  });

  it('reports a restarted runtime as unavailable, then recovers on the same client', async () => {
    const first = await fakeRuntime();
    const rt = service({ callTimeoutMs: 300 });
    await rt.listContainers();
    await stopServer(first);
    first.forceShutdown();
    await expect(rt.listContainers()).rejects.toBeInstanceOf(RuntimeUnavailableError);
    const restartedAt = Date.now();
    await fakeRuntime();
    // Poll like the manager's passes do; the channel must reconnect by itself.
    for (;;) {
      const ok = await rt.listContainers().then(
        () => true,
        () => false,
      );
      if (ok) break;
      expect(Date.now() - restartedAt).toBeLessThan(2000);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(Date.now() - restartedAt).toBeLessThan(1000);
  });
});
