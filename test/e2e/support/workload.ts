import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CriTestClient, hostNetworkSandboxConfig } from '../../helpers/cri-test-client.js';
import type { CriPodSandboxConfig } from '../../../src/runtime/cri/index.js';
import type { ContainerInfo, ContainerStatus, RuntimeService } from '../../../src/ports/runtime-service.js';
import type { ContainerdHarness } from '../../helpers/containerd.js';

/** Prints `line 0`, `line 1`, ... as fast as busybox sh can. */
export const FAST_COUNTER = 'i=0; while :; do echo "line $i"; i=$((i+1)); done';

/** Prints `line N` in bursts of 50 with a 10 ms pause: roughly 200 KiB/s of CRI log. */
export const BURST_COUNTER =
  'i=0; while :; do j=0; while [ $j -lt 50 ]; do echo "line $i"; i=$((i+1)); j=$((j+1)); done; usleep 10000; done';

/** One busybox container in its own host-network sandbox, writing to a log in a temp folder. */
export interface Workload {
  podId: string;
  containerId: string;
  /** The live log, as ContainerStatus reports it. */
  logPath: string;
  /** The sandbox's log directory (a fresh temp folder, removed by `dispose`). */
  logDir: string;
  sandboxConfig: CriPodSandboxConfig;
  /** Kills the container at once (timeout 0: a `sh` PID 1 ignores SIGTERM). */
  stop(): Promise<void>;
  /** Removes container and sandbox; the log files stay, as with any CRI runtime. */
  remove(): Promise<void>;
  /** `remove()` and delete the log folder; safe to call twice. */
  dispose(): Promise<void>;
}

/** Starts `sh -c script` in a new sandbox. Labels mark everything for `CriTestClient.removeAll`. */
export async function startWorkload(
  client: CriTestClient,
  harness: ContainerdHarness,
  opts: {
    name: string;
    script: string;
    labels?: Record<string, string>;
    /** Pod annotations (`crilog.io/*` policy). */
    annotations?: Record<string, string>;
    /** A folder to create the sandbox log directory in, as the kubelet does under /var/log/pods. */
    podLogsDir?: string;
  },
): Promise<Workload> {
  const logDir = opts.podLogsDir
    ? path.join(opts.podLogsDir, `default_e2e-${opts.name}_${randomUUID()}`)
    : await fsp.mkdtemp(path.join(os.tmpdir(), `crilog-e2e-${opts.name}-`));
  if (opts.podLogsDir) await fsp.mkdir(logDir);
  const labels = { 'crilog-e2e': 'true', ...opts.labels };
  const sandboxConfig = hostNetworkSandboxConfig({
    name: `e2e-${opts.name}`,
    logDirectory: logDir,
    cgroupParent: harness.cgroupParent,
    labels,
  });
  if (opts.annotations) sandboxConfig.annotations = opts.annotations;
  let podId: string | undefined;
  try {
    podId = await client.runPodSandbox(sandboxConfig);
    const containerId = await client.createContainer(
      podId,
      {
        metadata: { name: opts.name },
        image: { image: harness.busyboxImage },
        command: ['sh', '-c', opts.script],
        log_path: `${opts.name}/0.log`,
        labels,
        linux: { security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
      },
      sandboxConfig,
    );
    await client.startContainer(containerId);
    const { logPath } = await client.containerStatus(containerId);
    let removed = false;
    const id = podId;
    const remove = async () => {
      if (removed) return;
      removed = true;
      await client.stopPodSandbox(id);
      await client.removePodSandbox(id);
    };
    return {
      podId,
      containerId,
      logPath,
      logDir,
      sandboxConfig,
      stop: () => client.stopContainer(containerId, 0),
      remove,
      async dispose() {
        await remove().catch(() => {});
        await fsp.rm(logDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (podId) await client.removePodSandbox(podId).catch(() => {});
    await fsp.rm(logDir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * A view of `runtime` that only lists the given containers, so a manager in one test never
 * rotates the logs of another test's containers on a shared containerd.
 */
export function onlyContainers(runtime: RuntimeService, ids: () => Iterable<string>): RuntimeService {
  return {
    async listContainers(): Promise<ContainerInfo[]> {
      const wanted = new Set(ids());
      return (await runtime.listContainers()).filter((c) => wanted.has(c.id));
    },
    containerStatus: (id: string): Promise<ContainerStatus> => runtime.containerStatus(id),
    reopenContainerLog: (id: string) => runtime.reopenContainerLog(id),
  };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes; the error says what was awaited. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  { timeoutMs = 15_000, intervalMs = 25 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Size of a file, 0 when it does not exist. */
export async function sizeOf(file: string): Promise<number> {
  try {
    return (await fsp.stat(file)).size;
  } catch {
    return 0;
  }
}
