import { hasErrorCode } from '../errors/crilog-error.js';
import {
  sameContainers,
  type ContainerInfo,
  type ContainerStatus,
  type RuntimeService,
} from '../ports/runtime-service.js';

/** Annotation the kubelet (and crilog's local runtime) bump when a container's log path changes. */
export const RESTART_COUNT_ANNOTATION = 'io.kubernetes.container.restartCount';

/**
 * Spares the runtime one `ContainerStatus` call per container per pass. The manager only needs a
 * status for the log path, and a CRI container's log path is fixed when it is created; state, labels
 * and annotations come from the latest `ListContainers`, which every pass makes anyway. So a running
 * container listed in the latest pass whose path is known is answered from memory, and only new (or
 * restarted, by the restart-count annotation) containers cost a call. On 1000 containers this turns
 * 100 gRPC calls a second into none, and the trigger's fast path into a pure file operation.
 *
 * A stale "running" can only make a rotation's reopen fail, which the manager undoes; the failure also
 * drops the entry so the next call asks the runtime again.
 */
export class LogPathCachingRuntime implements RuntimeService {
  #listed = new Map<string, ContainerInfo>();
  #lastList: readonly ContainerInfo[] | undefined;
  readonly #paths = new Map<string, { restarts: string | undefined; logPath: string }>();

  constructor(readonly inner: RuntimeService) {}

  async listContainers(): Promise<ContainerInfo[]> {
    const list = await this.inner.listContainers();
    const same = sameContainers(list, this.#lastList);
    this.#lastList = list;
    // Unless a status call found a container gone since (it left `#listed`), nothing is to be redone.
    if (same && this.#listed.size === list.length) return list;
    this.#listed = new Map(list.map((c) => [c.id, c]));
    for (const id of this.#paths.keys()) if (!this.#listed.has(id)) this.#paths.delete(id);
    return list;
  }

  /** What the latest `listContainers` returned (whoever asked), `undefined` before the first. */
  get lastList(): readonly ContainerInfo[] | undefined {
    return this.#lastList;
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const info = this.#listed.get(id);
    const known = this.#paths.get(id);
    if (info?.state === 'running' && known && known.restarts === info.annotations[RESTART_COUNT_ANNOTATION]) {
      return { ...info, logPath: known.logPath };
    }
    try {
      const status = await this.inner.containerStatus(id);
      this.#paths.set(id, {
        restarts: status.annotations[RESTART_COUNT_ANNOTATION],
        logPath: status.logPath,
      });
      return status;
    } catch (err) {
      this.forget(id);
      if (hasErrorCode(err, 'ERR_CONTAINER_NOT_FOUND')) this.#listed.delete(id);
      throw err;
    }
  }

  async reopenContainerLog(id: string): Promise<void> {
    try {
      await this.inner.reopenContainerLog(id);
    } catch (err) {
      this.forget(id);
      throw err;
    }
  }

  /** What the latest listing said about `id` (names, labels), if it was listed. */
  info(id: string): ContainerInfo | undefined {
    return this.#listed.get(id);
  }

  /** Drops what is known of `id`; its next status comes from the runtime. */
  forget(id: string): void {
    this.#paths.delete(id);
  }
}
