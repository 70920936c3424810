import { promises as fsp } from 'node:fs';
import { ContainerNotFoundError, ContainerNotRunningError } from '../../src/errors/crilog-error.js';
import type {
  ContainerInfo,
  ContainerMetadata,
  ContainerState,
  ContainerStatus,
  RuntimeService,
} from '../../src/ports/runtime-service.js';

interface FakeContainer {
  id: string;
  state: ContainerState;
  logPath: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  metadata?: ContainerMetadata;
}

type Method = 'listContainers' | 'containerStatus' | 'reopenContainerLog';

/**
 * An in-memory runtime for unit tests: records every call, can fail any call on demand, and
 * implements reopen like containerd does (a new empty live file at the same path).
 */
export class FakeRuntime implements RuntimeService {
  readonly containers = new Map<string, FakeContainer>();
  readonly calls: { method: Method; id?: string }[] = [];
  readonly failures = new Map<string, Error>();
  /** Highest number of containerStatus calls seen in flight at once. */
  maxConcurrentStatus = 0;
  #inStatus = 0;
  /** Resolved before containerStatus answers; lets tests hold calls open to observe concurrency. */
  statusGate: Promise<void> = Promise.resolve();

  add(
    id: string,
    logPath: string,
    state: ContainerState = 'running',
    extra: Partial<FakeContainer> = {},
  ): void {
    this.containers.set(id, { id, state, logPath, labels: {}, annotations: {}, ...extra });
  }

  /** Makes `method` (optionally for one container id) throw `error` until cleared. */
  fail(method: Method, error: Error, id?: string): void {
    this.failures.set(id ? `${method}:${id}` : method, error);
  }

  clearFailures(): void {
    this.failures.clear();
  }

  count(method: Method, id?: string): number {
    return this.calls.filter((c) => c.method === method && (id === undefined || c.id === id)).length;
  }

  async listContainers(): Promise<ContainerInfo[]> {
    this.#record('listContainers');
    return [...this.containers.values()].map(({ id, state, labels, annotations, metadata }) => ({
      id,
      state,
      labels,
      annotations,
      ...(metadata ? { metadata } : {}),
    }));
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    this.#record('containerStatus', id);
    this.#inStatus++;
    this.maxConcurrentStatus = Math.max(this.maxConcurrentStatus, this.#inStatus);
    try {
      await this.statusGate;
      const c = this.containers.get(id);
      if (!c) throw new ContainerNotFoundError(id);
      return { ...c };
    } finally {
      this.#inStatus--;
    }
  }

  async reopenContainerLog(id: string): Promise<void> {
    this.#record('reopenContainerLog', id);
    const c = this.containers.get(id);
    if (!c) throw new ContainerNotFoundError(id);
    if (c.state !== 'running') throw new ContainerNotRunningError(id);
    const handle = await fsp.open(c.logPath, 'a', 0o640);
    await handle.close();
  }

  #record(method: Method, id?: string): void {
    this.calls.push({ method, id });
    const err = (id && this.failures.get(`${method}:${id}`)) || this.failures.get(method);
    if (err) throw err;
  }
}
