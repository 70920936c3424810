/** Lifecycle state of a container, as the CRI reports it. */
export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

/**
 * Who a container is in Kubernetes terms. Runtimes that know (CRI metadata of the container and its
 * pod sandbox) fill it in; `containerIdentity()` falls back to the kubelet's `io.kubernetes.*` labels.
 */
export interface ContainerMetadata {
  /** Container name within its pod (CRI `ContainerMetadata.name`). */
  name: string;
  /** Restart attempt (CRI `ContainerMetadata.attempt`); the kubelet's `<attempt>.log`. */
  attempt: number;
  /** Pod sandbox name, when known. */
  podName?: string;
  /** Pod sandbox namespace, when known. */
  podNamespace?: string;
  /** Pod UID, when known. */
  podUid?: string;
}

/** One entry of `listContainers()`. */
export interface ContainerInfo {
  id: string;
  state: ContainerState;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Names from the runtime; optional so that minimal runtimes (and test fakes) may leave it out. */
  metadata?: ContainerMetadata;
}

/** Result of `containerStatus()`; `logPath` is absolute (the CRI joins sandbox log dir and container log path). */
export interface ContainerStatus extends ContainerInfo {
  logPath: string;
}

/**
 * The port to a container runtime: the three CRI calls log management needs.
 *
 * Implementations throw `ContainerNotFoundError` for a removed container, `ContainerNotRunningError`
 * when reopening the log of a stopped one, and `RuntimeUnavailableError` when the runtime is unreachable.
 */
export interface RuntimeService {
  listContainers(): Promise<ContainerInfo[]>;
  containerStatus(id: string): Promise<ContainerStatus>;
  reopenContainerLog(id: string): Promise<void>;
}

/**
 * The same containers in the same order, each the very entry listed before. A runtime that hands out an
 * unchanged container's entry again (the CRI adapter does) lets whoever follows its listings skip the
 * work of a listing that brought no news, as if it had not listed.
 */
export function sameContainers(
  list: readonly ContainerInfo[],
  before: readonly ContainerInfo[] | undefined,
): boolean {
  if (list === before) return true;
  if (before === undefined || list.length !== before.length) return false;
  for (let i = 0; i < list.length; i++) if (list[i] !== before[i]) return false;
  return true;
}
