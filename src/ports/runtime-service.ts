/** Lifecycle state of a container, as the CRI reports it. */
export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

/** One entry of `listContainers()`. */
export interface ContainerInfo {
  id: string;
  state: ContainerState;
  labels: Record<string, string>;
  annotations: Record<string, string>;
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
