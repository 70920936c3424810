/**
 * A CRI `runtime.v1` server for the idle benchmark: a fixed list of running containers and their log
 * paths, nothing else. It runs in the benchmark's own process, so its cost is not counted as crilog's.
 */
import { open, unlink } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

const PROTO = fileURLToPath(new URL('../../proto/runtime-v1.proto', import.meta.url));

/**
 * @param {string} socketPath
 * @param {{ id: string, name: string, logPath: string }[]} containers
 * @returns {Promise<{ endpoint: string, calls: Record<string, number>, close(): Promise<void> }>}
 */
export async function serveFakeCri(socketPath, containers) {
  const def = protoLoader.loadSync(PROTO, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const { RuntimeService } = grpc.loadPackageDefinition(def).runtime.v1;
  const byId = new Map(containers.map((c) => [c.id, c]));
  const calls = { Version: 0, ListContainers: 0, ContainerStatus: 0, ReopenContainerLog: 0 };
  const labels = (c) => ({ 'io.kubernetes.container.name': c.name });
  const notFound = (id) => ({ code: grpc.status.NOT_FOUND, details: `container "${id}" not found` });
  const server = new grpc.Server();
  server.addService(RuntimeService.service, {
    Version: (_call, cb) => {
      calls.Version++;
      cb(null, {
        version: 'v1',
        runtime_name: 'bench-fake-cri',
        runtime_version: '1.0',
        runtime_api_version: 'v1',
      });
    },
    ListContainers: (_call, cb) => {
      calls.ListContainers++;
      cb(null, {
        containers: containers.map((c) => ({
          id: c.id,
          state: 'CONTAINER_RUNNING',
          labels: labels(c),
          annotations: {},
        })),
      });
    },
    ContainerStatus: (call, cb) => {
      calls.ContainerStatus++;
      const c = byId.get(call.request.container_id);
      if (!c) return cb(notFound(call.request.container_id));
      cb(null, {
        status: {
          id: c.id,
          state: 'CONTAINER_RUNNING',
          labels: labels(c),
          annotations: {},
          log_path: c.logPath,
        },
      });
    },
    ReopenContainerLog: async (call, cb) => {
      calls.ReopenContainerLog++;
      const c = byId.get(call.request.container_id);
      if (!c) return cb(notFound(call.request.container_id));
      await (await open(c.logPath, 'a', 0o640)).close();
      cb(null, {});
    },
  });
  await unlink(socketPath).catch(() => {});
  await new Promise((resolve, reject) =>
    server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  return {
    endpoint: `unix://${socketPath}`,
    calls,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
