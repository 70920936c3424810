import { readFileSync } from 'node:fs';
import { chmod, mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  ContainerNotFoundError,
  ContainerNotRunningError,
  InvalidOptionError,
} from '../../errors/crilog-error.js';
import { parseRuntimeEndpoint } from '../../units/endpoint.js';
import { loadRuntimeV1 } from '../cri/grpc-client.js';
import { probeSocket } from '../cri/probe-socket.js';
import { CriHandlers, LOCAL_RUNTIME_NAME, SandboxNotFoundError } from './cri-handlers.js';
import type { LocalRuntime } from './local-runtime.js';

/** A running CRI server. */
export interface CriServerHandle {
  /** Absolute path of the unix socket. */
  readonly socketPath: string;
  /** `unix:///...`, what a client passes as runtime endpoint. */
  readonly endpoint: string;
  /** Stops accepting calls (waiting up to `graceMs` for calls in flight) and removes the socket. */
  close(graceMs?: number): Promise<void>;
}

function packageVersion(): string {
  try {
    // Three levels up from both src/runtime/local and dist/runtime/local.
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Maps crilog errors to the statuses containerd uses, so CRI clients (crilog's included) read them alike. */
export function toGrpcStatus(err: unknown): Partial<grpc.StatusObject> {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ContainerNotFoundError || err instanceof SandboxNotFoundError)
    return { code: grpc.status.NOT_FOUND, details: message };
  // containerd answers a reopen of a stopped container with a plain error, i.e. UNKNOWN.
  if (err instanceof ContainerNotRunningError)
    return { code: grpc.status.UNKNOWN, details: `container is not running: ${message}` };
  if (err instanceof InvalidOptionError) return { code: grpc.status.INVALID_ARGUMENT, details: message };
  return { code: grpc.status.UNKNOWN, details: message };
}

/** Refuses to take over a socket that someone still answers on; removes a stale one. */
async function claimSocketPath(socketPath: string): Promise<void> {
  const probe = await probeSocket(socketPath);
  if (probe.kind === 'accepts') {
    throw new InvalidOptionError({
      key: 'socket',
      value: socketPath,
      rule: 'is in use by another server',
      hint: 'stop it or choose another --socket path',
    });
  }
  if (probe.kind === 'not-a-socket') {
    throw new InvalidOptionError({
      key: 'socket',
      value: socketPath,
      rule: `exists and is ${probe.fileType}, not a socket`,
      hint: 'choose another --socket path',
    });
  }
  if (probe.kind === 'refused') await unlink(socketPath);
  await mkdir(path.dirname(socketPath), { recursive: true });
}

/**
 * Serves `runtime` as a CRI `runtime.v1.RuntimeService` on a unix socket, from the same `.proto`
 * crilog's client uses. `socket` is a path or a `unix://` endpoint. Methods of the proto this server
 * does not implement answer UNIMPLEMENTED.
 */
export async function serveCri(runtime: LocalRuntime, socket: string): Promise<CriServerHandle> {
  const { socketPath, target } = parseRuntimeEndpoint(socket, 'option');
  const { RuntimeService } = loadRuntimeV1();
  const handlers = new CriHandlers(runtime, packageVersion());
  const table = handlers as unknown as Record<
    string,
    ((req: object) => object | Promise<object>) | undefined
  >;
  const impl: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(RuntimeService.service)) {
    impl[method] = (call: grpc.ServerUnaryCall<object, object>, callback: grpc.sendUnaryData<object>) => {
      const handler = table[method];
      if (typeof handler !== 'function') {
        return callback({
          code: grpc.status.UNIMPLEMENTED,
          details: `${method} is not implemented by ${LOCAL_RUNTIME_NAME}`,
        });
      }
      Promise.resolve()
        .then(() => handler.call(handlers, call.request))
        .then(
          (res) => callback(null, res),
          (err: unknown) => callback(toGrpcStatus(err)),
        );
    };
  }
  const server = new grpc.Server();
  server.addService(RuntimeService.service, impl);
  await claimSocketPath(socketPath);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(new Error(`failed to listen on "${socketPath}"`, { cause: err })) : resolve(),
    ),
  );
  // The socket drives processes as this user: nobody else may connect.
  await chmod(socketPath, 0o600);

  let closing: Promise<void> | undefined;
  const close = (graceMs = 2000): Promise<void> =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await unlink(socketPath).catch(() => undefined);
    })());
  return { socketPath, endpoint: target, close };
}
