/**
 * A CRI `runtime.v1` server for the idle benchmark: a fixed list of running containers, one pod sandbox
 * each, with the labels and annotations the kubelet and containerd put on real ones (so that a listing
 * costs what it costs on a node), and their log paths. Filters (id, sandbox, state, labels) work as in
 * containerd. It runs in the benchmark's own process, so its cost is not counted as crilog's.
 */
import { open, unlink } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

const PROTO = fileURLToPath(new URL('../../proto/runtime-v1.proto', import.meta.url));

/** Labels and annotations of a kubelet-made pod sandbox and its container, sized like real ones. */
function kubernetesMeta(c, i) {
  const ns = c.namespace ?? 'default';
  const pod = c.pod ?? `pod-${i}`;
  const uid = c.uid ?? `uid-${i}`;
  const podLabels = {
    'io.kubernetes.pod.name': pod,
    'io.kubernetes.pod.namespace': ns,
    'io.kubernetes.pod.uid': uid,
    app: `service-${i % 50}`,
    'app.kubernetes.io/name': `service-${i % 50}`,
    'app.kubernetes.io/instance': `release-${i % 7}`,
    'app.kubernetes.io/version': '1.27.3',
    'pod-template-hash': (0x5f3a9c1 + i).toString(16),
  };
  const sandboxAnnotations = {
    'kubernetes.io/config.seen': '2026-01-01T00:00:00.000000000Z',
    'kubernetes.io/config.source': 'api',
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': '9090',
    'checksum/config': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z',
    'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true',
    'vault.hashicorp.com/agent-inject-template-config': `{{- with secret "kv/data/service-${i % 50}/config" -}}\n${'export KEY_NAME="{{ .Data.data.value }}"\n'.repeat(8)}{{- end }}`,
  };
  const containerLabels = {
    'io.kubernetes.container.name': c.name,
    'io.kubernetes.pod.name': pod,
    'io.kubernetes.pod.namespace': ns,
    'io.kubernetes.pod.uid': uid,
  };
  const containerAnnotations = {
    'io.kubernetes.container.hash': (0x1a2b3c4d + i).toString(16),
    'io.kubernetes.container.restartCount': '0',
    'io.kubernetes.container.terminationMessagePath': '/dev/termination-log',
    'io.kubernetes.container.terminationMessagePolicy': 'File',
    'io.kubernetes.pod.terminationGracePeriod': '30',
    'io.kubernetes.container.ports':
      '[{"name":"http","containerPort":8080,"protocol":"TCP"},{"name":"metrics","containerPort":9090,"protocol":"TCP"}]',
  };
  return { podLabels, sandboxAnnotations, containerLabels, containerAnnotations, pod, ns, uid };
}

/** True when every selector label is on `labels`, as CRI label selectors match. */
const selects = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);

/**
 * @param {string} socketPath
 * @param {{ id: string, name: string, logPath: string, pod?: string, namespace?: string, uid?: string }[]} containers
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
  const calls = {
    Version: 0,
    ListContainers: 0,
    ListContainersFiltered: 0,
    ListPodSandbox: 0,
    ListPodSandboxFiltered: 0,
    ContainerStatus: 0,
    ReopenContainerLog: 0,
  };
  const meta = new Map(containers.map((c, i) => [c.id, kubernetesMeta(c, i)]));
  const sandboxId = (c) => `sb${c.id.slice(2)}`;
  const asContainer = (c) => {
    const m = meta.get(c.id);
    return {
      id: c.id,
      pod_sandbox_id: sandboxId(c),
      metadata: { name: c.name, attempt: 0 },
      image: { image: `registry.example.com/team/service-${c.name}:1.27.3` },
      image_ref: `sha256:${c.id}`,
      state: 'CONTAINER_RUNNING',
      created_at: '1767225600000000000',
      labels: m.containerLabels,
      annotations: m.containerAnnotations,
    };
  };
  const asSandbox = (c) => {
    const m = meta.get(c.id);
    return {
      id: sandboxId(c),
      metadata: { name: m.pod, uid: m.uid, namespace: m.ns, attempt: 0 },
      state: 'SANDBOX_READY',
      created_at: '1767225600000000000',
      labels: m.podLabels,
      annotations: m.sandboxAnnotations,
    };
  };
  const labels = (c) => meta.get(c.id).containerLabels;
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
    ListContainers: (call, cb) => {
      const f = call.request.filter ?? {};
      const filtered = Boolean(
        f.id || f.pod_sandbox_id || Object.keys(f.label_selector ?? {}).length || f.state,
      );
      calls[filtered ? 'ListContainersFiltered' : 'ListContainers']++;
      cb(null, {
        containers: containers
          .filter(
            (c) =>
              (!f.id || f.id === c.id) &&
              (!f.pod_sandbox_id || f.pod_sandbox_id === sandboxId(c)) &&
              (!f.state || f.state.state === 'CONTAINER_RUNNING') &&
              selects(f.label_selector, labels(c)),
          )
          .map(asContainer),
      });
    },
    ListPodSandbox: (call, cb) => {
      const f = call.request.filter ?? {};
      const filtered = Boolean(f.id || Object.keys(f.label_selector ?? {}).length || f.state);
      calls[filtered ? 'ListPodSandboxFiltered' : 'ListPodSandbox']++;
      cb(null, {
        items: containers
          .filter(
            (c) =>
              (!f.id || f.id === sandboxId(c)) &&
              (!f.state || f.state.state === 'SANDBOX_READY') &&
              selects(f.label_selector, meta.get(c.id).podLabels),
          )
          .map(asSandbox),
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
          annotations: meta.get(c.id).containerAnnotations,
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
