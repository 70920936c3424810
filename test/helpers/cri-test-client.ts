import { randomUUID } from 'node:crypto';
import {
  CriRuntimeService,
  type CriRuntimeServiceOptions,
} from '../../src/runtime/cri/cri-runtime-service.js';
import type {
  CriContainer,
  CriContainerConfig,
  CriContainerStatus,
  CriContainerStatusResponse,
  CriExecSyncResponse,
  CriListContainersResponse,
  CriPodSandbox,
  CriPodSandboxConfig,
} from '../../src/runtime/cri/messages.js';

/** Sandbox and container lifecycle calls take longer than log calls (runc, mounts, image unpack). */
export const DEFAULT_LIFECYCLE_TIMEOUT_MS = 30_000;

/** Input of `hostNetworkSandboxConfig`. */
export interface SandboxSpec {
  name: string;
  /** Absolute directory container log paths are relative to. */
  logDirectory: string;
  namespace?: string;
  uid?: string;
  /** cgroupfs parent; keep it distinct per harness so teardown can find its cgroups. */
  cgroupParent?: string;
  labels?: Record<string, string>;
}

/**
 * A sandbox config that works without CNI plugins: host network, and no hostname because
 * containerd then shares the host UTS namespace and runc refuses to set one.
 */
export function hostNetworkSandboxConfig(spec: SandboxSpec): CriPodSandboxConfig {
  return {
    metadata: {
      name: spec.name,
      uid: spec.uid ?? randomUUID(),
      namespace: spec.namespace ?? 'default',
      attempt: 0,
    },
    log_directory: spec.logDirectory,
    labels: spec.labels ?? {},
    annotations: {},
    linux: {
      ...(spec.cgroupParent === undefined ? {} : { cgroup_parent: spec.cgroupParent }),
      security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } },
    },
  };
}

/**
 * CRI client with sandbox and container lifecycle calls, for tests and tooling (crilog itself
 * never creates containers). Errors are crilog's typed errors, like the port's.
 */
export class CriTestClient extends CriRuntimeService {
  constructor(options: CriRuntimeServiceOptions = {}) {
    super({ callTimeoutMs: DEFAULT_LIFECYCLE_TIMEOUT_MS, ...options });
  }

  /** Starts a sandbox; returns its id. */
  async runPodSandbox(config: CriPodSandboxConfig, runtimeHandler = ''): Promise<string> {
    const res = await this.call<{ pod_sandbox_id: string }>('RunPodSandbox', {
      config,
      runtime_handler: runtimeHandler,
    });
    return res.pod_sandbox_id;
  }

  /** Stops every process of the sandbox; idempotent. */
  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.call('StopPodSandbox', { pod_sandbox_id: podSandboxId });
  }

  /** Removes the sandbox and its containers; idempotent. */
  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.call('RemovePodSandbox', { pod_sandbox_id: podSandboxId });
  }

  /** Sandboxes, optionally only those carrying all `labels`. */
  async listPodSandbox(labels: Record<string, string> = {}): Promise<CriPodSandbox[]> {
    const res = await this.call<{ items: CriPodSandbox[] }>('ListPodSandbox', {
      filter: { label_selector: labels },
    });
    return res.items;
  }

  /** Creates a container in a sandbox; returns its id. */
  async createContainer(
    podSandboxId: string,
    config: CriContainerConfig,
    sandboxConfig: CriPodSandboxConfig,
  ): Promise<string> {
    const res = await this.call<{ container_id: string }>('CreateContainer', {
      pod_sandbox_id: podSandboxId,
      config,
      sandbox_config: sandboxConfig,
    });
    return res.container_id;
  }

  /** Starts a created container. */
  async startContainer(id: string): Promise<void> {
    await this.call('StartContainer', { container_id: id }, id);
  }

  /** Stops a container; `timeoutSeconds` 0 kills at once (a `sh` PID 1 ignores SIGTERM). */
  async stopContainer(id: string, timeoutSeconds = 0): Promise<void> {
    await this.call('StopContainer', { container_id: id, timeout: timeoutSeconds }, id);
  }

  /**
   * Runs `cmd` (no shell) in a running container and waits for it, like `kubectl exec` without a
   * terminal. `timeoutSeconds` 0 waits as long as the command runs; the call's own deadline is
   * that plus the lifecycle timeout.
   */
  async execSync(id: string, cmd: string[], timeoutSeconds = 0): Promise<CriExecSyncResponse> {
    return this.call<CriExecSyncResponse>(
      'ExecSync',
      { container_id: id, cmd, timeout: timeoutSeconds },
      id,
      timeoutSeconds > 0 ? timeoutSeconds * 1000 + DEFAULT_LIFECYCLE_TIMEOUT_MS : undefined,
    );
  }

  /** Removes a container; idempotent. */
  async removeContainer(id: string): Promise<void> {
    await this.call('RemoveContainer', { container_id: id }, id);
  }

  /** Containers as the CRI reports them, optionally only those carrying all `labels`. */
  async listCriContainers(labels: Record<string, string> = {}): Promise<CriContainer[]> {
    const res = await this.call<CriListContainersResponse>('ListContainers', {
      filter: { label_selector: labels },
    });
    return res.containers;
  }

  /** The full `ContainerStatus` message. */
  async criContainerStatus(id: string): Promise<CriContainerStatus> {
    const res = await this.call<CriContainerStatusResponse>('ContainerStatus', { container_id: id }, id);
    if (!res.status) throw new Error(`CRI ContainerStatus for container "${id}" returned no status`);
    return res.status;
  }

  /**
   * Stops and removes every container and sandbox carrying all `labels` (all of them when empty).
   * Keeps going past failures and returns them, so teardown removes as much as it can.
   */
  async removeAll(labels: Record<string, string> = {}): Promise<Error[]> {
    const failures: Error[] = [];
    const attempt = async (p: Promise<unknown>): Promise<void> => {
      try {
        await p;
      } catch (err) {
        failures.push(err as Error);
      }
    };
    for (const c of await this.listCriContainers(labels)) {
      await attempt(this.stopContainer(c.id, 0));
      await attempt(this.removeContainer(c.id));
    }
    for (const s of await this.listPodSandbox(labels)) {
      await attempt(this.stopPodSandbox(s.id));
      await attempt(this.removePodSandbox(s.id));
    }
    return failures;
  }
}
