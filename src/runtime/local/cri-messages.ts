import type { ContainerState } from '../../ports/runtime-service.js';
import type { CriContainerState } from '../cri/messages.js';
import type { LocalContainerSnapshot } from './local-container-types.js';

/** CRI state names of the port's states. */
export const CRI_STATES: Readonly<Record<ContainerState, CriContainerState>> = {
  created: 'CONTAINER_CREATED',
  running: 'CONTAINER_RUNNING',
  exited: 'CONTAINER_EXITED',
  unknown: 'CONTAINER_UNKNOWN',
};

/** CRI timestamps are int64 nanoseconds; proto-loader takes them as decimal strings. */
export const dateToNs = (d: Date | undefined): string => (d ? `${d.getTime()}000000` : '0');

/** What the CRI layer remembers about a container beyond the runtime's snapshot. */
export interface CriContainerExtra {
  podSandboxId: string;
  image: string;
}

/**
 * Sandbox ID of a container from the config (not created over CRI): each is presented as a pod of its
 * own in namespace `default`, as the in-process runtime reports it, so `crilog logs NAME` resolves it.
 */
export const configPodId = (containerId: string): string => `pod-${containerId}`;

/** The `PodSandbox` message of a config container's one-container pod. */
export function toConfigSandbox(s: LocalContainerSnapshot) {
  return {
    id: configPodId(s.id),
    metadata: { name: s.name, namespace: 'default', uid: s.id, attempt: 0 },
    state: s.state === 'running' ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
    created_at: dateToNs(s.createdAt),
    labels: {},
    annotations: {},
  };
}

/** The `Container` message (an entry of `ListContainers`). */
export function toCriContainer(s: LocalContainerSnapshot, extra: CriContainerExtra | undefined) {
  return {
    id: s.id,
    pod_sandbox_id: extra?.podSandboxId ?? configPodId(s.id),
    metadata: { name: s.name, attempt: s.restartCount },
    image: { image: extra?.image ?? '' },
    image_ref: extra?.image ?? '',
    state: CRI_STATES[s.state],
    created_at: dateToNs(s.createdAt),
    labels: s.labels,
    annotations: s.annotations,
  };
}

/** The `ContainerStatus` message; `log_path` is absolute, as containerd reports it. */
export function toCriContainerStatus(s: LocalContainerSnapshot, extra: CriContainerExtra | undefined) {
  return {
    id: s.id,
    metadata: { name: s.name, attempt: s.restartCount },
    state: CRI_STATES[s.state],
    created_at: dateToNs(s.createdAt),
    started_at: dateToNs(s.startedAt),
    finished_at: dateToNs(s.finishedAt),
    exit_code: s.exitCode ?? 0,
    image: { image: extra?.image ?? '' },
    image_ref: extra?.image ?? '',
    reason: s.reason ?? '',
    message: s.message ?? '',
    labels: s.labels,
    annotations: s.annotations,
    log_path: s.logPath,
  };
}

/** True when every selector entry is among `labels`. */
export function matchesLabels(
  labels: Record<string, string>,
  selector: Record<string, string> | undefined,
): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}
