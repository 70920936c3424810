import type { ContainerInfo } from './runtime-service.js';

/** The kubelet's labels on every container it creates (pkg/kubelet/types/labels.go). */
export const KUBELET_LABELS = {
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
} as const;

/** A container's Kubernetes names; empty strings where neither metadata nor labels say. */
export interface ContainerIdentity {
  namespace: string;
  pod: string;
  podUid: string;
  container: string;
  /** Restart attempt; 0 when unknown. */
  attempt: number;
}

/**
 * Resolves namespace, pod and container name of a container: CRI metadata first (what the runtime
 * itself recorded), then the kubelet's labels (runtimes that list no sandbox metadata). Label values
 * are tenant-influenced only through names Kubernetes already validated, but callers that use them
 * in file paths or metric labels must still treat them as untrusted text.
 */
export function containerIdentity(info: Pick<ContainerInfo, 'labels' | 'metadata'>): ContainerIdentity {
  const meta = info.metadata;
  const label = (key: string): string => info.labels[key] ?? '';
  return {
    namespace: meta?.podNamespace || label(KUBELET_LABELS.podNamespace),
    pod: meta?.podName || label(KUBELET_LABELS.podName),
    podUid: meta?.podUid || label(KUBELET_LABELS.podUid),
    container: meta?.name || label(KUBELET_LABELS.containerName),
    attempt: meta?.attempt ?? 0,
  };
}
