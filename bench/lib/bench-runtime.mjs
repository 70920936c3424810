/**
 * A RuntimeService for benchmarks: a fixed set of running containers whose "reopen" creates the live
 * log the way containerd does (O_CREAT|O_APPEND, existing data kept), so no real runtime is needed.
 */
import { open } from 'node:fs/promises';

/**
 * @typedef {object} BenchContainer
 * @property {string} id
 * @property {string} logPath absolute path of the live log
 */

/**
 * @param {BenchContainer[]} containers
 * @returns {{ listContainers(): Promise<object[]>, containerStatus(id: string): Promise<object>, reopenContainerLog(id: string): Promise<void>, reopens: number }}
 */
export function benchRuntime(containers) {
  const byId = new Map(containers.map((c) => [c.id, c]));
  const get = (/** @type {string} */ id) => {
    const c = byId.get(id);
    if (!c)
      throw Object.assign(new Error(`container "${id}" not found`), { code: 'ERR_CONTAINER_NOT_FOUND' });
    return c;
  };
  const runtime = {
    reopens: 0,
    async listContainers() {
      return containers.map((c) => ({ id: c.id, state: 'running', labels: {}, annotations: {} }));
    },
    async containerStatus(/** @type {string} */ id) {
      const c = get(id);
      return { id: c.id, state: 'running', logPath: c.logPath, labels: {}, annotations: {} };
    },
    async reopenContainerLog(/** @type {string} */ id) {
      const handle = await open(get(id).logPath, 'a', 0o640);
      await handle.close();
      runtime.reopens++;
    },
  };
  return runtime;
}
