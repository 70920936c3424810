import os from 'node:os';
import { parseQuantity } from '../../../src/index.js';
import type {
  CriContainerConfig,
  CriLinuxContainerResources,
  CriLinuxContainerSecurityContext,
  CriMount,
  CriPodSandboxConfig,
} from '../../../src/runtime/cri/index.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- reading a parsed pod spec */

/**
 * What the kubelet would send over CRI for one container of a pod spec, built the way the kubelet
 * builds it (security context, mounts, env, args, ports), with the few things a node without CNI
 * and without the API server decides differently given by the caller.
 */
export interface KubeletView {
  sandbox: CriPodSandboxConfig;
  container: CriContainerConfig;
  /** httpGet probes with their port names resolved. */
  probes: { liveness: HttpProbe; readiness: HttpProbe };
  terminationGracePeriodSeconds: number;
}

/** A probe as the kubelet runs it: GET `path` on the pod IP and `port`. */
export interface HttpProbe {
  path: string;
  port: number;
  timeoutSeconds: number;
  periodSeconds: number;
  failureThreshold: number;
}

/** How volumes and node facts map onto this machine. */
export interface NodeFacts {
  podName: string;
  /** The pod's UID (also part of its log directory's name). */
  uid: string;
  namespace: string;
  /** Sandbox log directory (the kubelet's /var/log/pods/<ns>_<name>_<uid>). */
  logDirectory: string;
  cgroupParent: string;
  /** Host directory per volume name: hostPath volumes (after substitution), configMaps, emptyDirs. */
  volumes: Record<string, string>;
  /** Container paths to replace, e.g. the pod log dir, which must read the same inside and out. */
  mountPathOverrides?: Record<string, string>;
  /** Container port per port name, when the harness cannot use the manifest's (host network). */
  ports?: Record<string, number>;
  /** The pod IP as the kubelet reports it (host network: the node's). */
  podIP: string;
}

// Pod fields that only the API server, scheduler or kubelet act on; none reaches the runtime.
const NOT_FOR_THE_RUNTIME = new Set([
  'serviceAccountName',
  'automountServiceAccountToken',
  'priorityClassName',
  'nodeSelector',
  'tolerations',
  'enableServiceLinks',
  'affinity',
  'imagePullSecrets',
]);
const POD_FIELDS = new Set([
  ...NOT_FOR_THE_RUNTIME,
  'terminationGracePeriodSeconds',
  'securityContext',
  'containers',
  'volumes',
]);
const CONTAINER_FIELDS = new Set([
  'name',
  'image',
  'imagePullPolicy',
  'args',
  'command',
  'env',
  'ports',
  'livenessProbe',
  'readinessProbe',
  'resources',
  'securityContext',
  'volumeMounts',
]);

function refuseUnknown(obj: any, known: Set<string>, where: string): void {
  for (const key of Object.keys(obj ?? {}))
    if (!known.has(key))
      throw new Error(`${where}.${key} is not translated to CRI by this harness: teach pod-from-manifest.ts`);
}

function seccomp(profile: any): CriLinuxContainerSecurityContext['seccomp'] {
  if (!profile) return undefined;
  if (profile.type === 'RuntimeDefault') return { profile_type: 'RuntimeDefault' };
  if (profile.type === 'Unconfined') return { profile_type: 'Unconfined' };
  throw new Error(`seccompProfile type ${profile.type} is not supported by the harness`);
}

function securityContext(pod: any, c: any): CriLinuxContainerSecurityContext {
  const sc = c.securityContext ?? {};
  const psc = pod.securityContext ?? {};
  const uid = sc.runAsUser ?? psc.runAsUser;
  const gid = sc.runAsGroup ?? psc.runAsGroup;
  return {
    ...(uid === undefined ? {} : { run_as_user: { value: uid } }),
    ...(gid === undefined ? {} : { run_as_group: { value: gid } }),
    privileged: sc.privileged ?? false,
    // The kubelet sets no_new_privs unless escalation is allowed (its default is allowed).
    no_new_privs: sc.allowPrivilegeEscalation === false,
    readonly_rootfs: sc.readOnlyRootFilesystem ?? false,
    capabilities: {
      add_capabilities: sc.capabilities?.add ?? [],
      drop_capabilities: sc.capabilities?.drop ?? [],
    },
    seccomp: seccomp(sc.seccompProfile ?? psc.seccompProfile),
    // Host network: the harness has no CNI (see docs/kubernetes.md, "What the pod test does not cover").
    namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' },
  };
}

/** The kubelet's conversion of limits and requests into cgroup values. */
function resources(r: any): CriLinuxContainerResources {
  const out: CriLinuxContainerResources = {};
  const cpuMillis = (q: string | number): number =>
    typeof q === 'number' ? q * 1000 : q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000;
  if (r?.limits?.cpu !== undefined) {
    out.cpu_period = 100_000;
    out.cpu_quota = Math.round((cpuMillis(r.limits.cpu) * 100_000) / 1000);
  }
  if (r?.requests?.cpu !== undefined)
    out.cpu_shares = Math.max(2, Math.round((cpuMillis(r.requests.cpu) * 1024) / 1000));
  if (r?.limits?.memory !== undefined) out.memory_limit_in_bytes = parseQuantity(String(r.limits.memory));
  return out;
}

function fieldRef(path: string, facts: NodeFacts): string {
  switch (path) {
    case 'spec.nodeName':
      return os.hostname();
    case 'metadata.name':
      return facts.podName;
    case 'metadata.namespace':
      return facts.namespace;
    case 'status.podIP':
      return facts.podIP;
    default:
      throw new Error(`env fieldRef ${path} is not supported by the harness`);
  }
}

function probe(p: any, ports: Map<string, number>, what: string): HttpProbe {
  if (!p?.httpGet) throw new Error(`${what} is not an httpGet probe`);
  const port = typeof p.httpGet.port === 'number' ? p.httpGet.port : ports.get(p.httpGet.port);
  if (port === undefined)
    throw new Error(`${what} names port ${p.httpGet.port}, which the container does not declare`);
  // The kubelet's defaults for unset fields.
  return {
    path: p.httpGet.path ?? '/',
    port,
    timeoutSeconds: p.timeoutSeconds ?? 1,
    periodSeconds: p.periodSeconds ?? 10,
    failureThreshold: p.failureThreshold ?? 3,
  };
}

/** Translates the pod spec's container `name` into the CRI requests the kubelet would make. */
export function kubeletView(podSpec: any, name: string, facts: NodeFacts): KubeletView {
  refuseUnknown(podSpec, POD_FIELDS, 'spec');
  const c = podSpec.containers.find((x: any) => x.name === name);
  if (!c) throw new Error(`the pod has no container "${name}"`);
  refuseUnknown(c, CONTAINER_FIELDS, `containers[${name}]`);
  const ports = new Map<string, number>();
  for (const p of c.ports ?? []) ports.set(p.name, facts.ports?.[p.name] ?? p.containerPort);
  const mounts: CriMount[] = (c.volumeMounts ?? []).map((m: any) => {
    const host = facts.volumes[m.name];
    if (!host) throw new Error(`volume "${m.name}" has no host directory in the harness`);
    if (!podSpec.volumes.some((v: any) => v.name === m.name))
      throw new Error(`volume "${m.name}" is not declared`);
    return {
      container_path: facts.mountPathOverrides?.[m.mountPath] ?? m.mountPath,
      host_path: host,
      readonly: m.readOnly ?? false,
    };
  });
  const envs = (c.env ?? []).map((e: any) => ({
    key: e.name,
    value: e.value ?? fieldRef(e.valueFrom?.fieldRef?.fieldPath, facts),
  }));
  const uid = facts.uid;
  const sandbox: CriPodSandboxConfig = {
    metadata: { name: facts.podName, uid, namespace: facts.namespace, attempt: 0 },
    log_directory: facts.logDirectory,
    port_mappings: (c.ports ?? []).map((p: any) => ({
      protocol: p.protocol ?? 'TCP',
      container_port: ports.get(p.name) ?? p.containerPort,
    })),
    labels: { 'crilog-e2e': 'true', 'io.kubernetes.pod.name': facts.podName },
    annotations: {},
    linux: {
      cgroup_parent: facts.cgroupParent,
      security_context: {
        namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' },
        seccomp: seccomp(podSpec.securityContext?.seccompProfile),
      },
    },
  };
  const container: CriContainerConfig = {
    metadata: { name: c.name, attempt: 0 },
    image: { image: c.image },
    ...(c.command ? { command: c.command } : {}),
    args: c.args ?? [],
    envs,
    mounts,
    labels: { 'crilog-e2e': 'true' },
    log_path: `${c.name}/0.log`,
    linux: { resources: resources(c.resources), security_context: securityContext(podSpec, c) },
  };
  return {
    sandbox,
    container,
    probes: {
      liveness: probe(c.livenessProbe, ports, 'livenessProbe'),
      readiness: probe(c.readinessProbe, ports, 'readinessProbe'),
    },
    terminationGracePeriodSeconds: podSpec.terminationGracePeriodSeconds ?? 30,
  };
}

/** Runs a probe once, as the kubelet does: success is a 2xx or 3xx answer within the timeout. */
export async function runProbe(
  p: HttpProbe,
  host: string,
): Promise<{ ok: boolean; status: number; body: string }> {
  try {
    const res = await fetch(`http://${host}:${p.port}${p.path}`, {
      signal: AbortSignal.timeout(p.timeoutSeconds * 1000),
      redirect: 'manual',
    });
    const body = await res.text();
    return { ok: res.status >= 200 && res.status < 400, status: res.status, body };
  } catch (err) {
    return { ok: false, status: 0, body: String(err) };
  }
}
