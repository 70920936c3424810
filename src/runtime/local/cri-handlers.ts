import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ContainerNotFoundError, InvalidOptionError } from '../../errors/crilog-error.js';
import type { CriContainerConfig, CriPodSandboxConfig } from '../cri/messages.js';
import {
  dateToNs,
  matchesLabels,
  toCriContainer,
  toConfigSandbox,
  toCriContainerStatus,
  type CriContainerExtra,
} from './cri-messages.js';
import type { LocalRuntime } from './local-runtime.js';

/** Name and version the server reports in `Version`. */
export const LOCAL_RUNTIME_NAME = 'crilog-local';

interface Sandbox {
  id: string;
  config: CriPodSandboxConfig;
  ready: boolean;
  createdAt: Date;
  containers: Set<string>;
}

/** A request as proto-loader decodes it: fields may be missing when the client omitted them. */
type Req = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const newId = () => randomBytes(32).toString('hex');

/**
 * The CRI `RuntimeService` calls in terms of a `LocalRuntime`. Sandboxes are bookkeeping only
 * (a log directory and labels); containers are local processes. Methods take and return plain
 * message objects and throw crilog errors, which the server maps to gRPC statuses.
 */
export class CriHandlers {
  readonly #sandboxes = new Map<string, Sandbox>();
  readonly #extra = new Map<string, CriContainerExtra>();

  constructor(
    readonly runtime: LocalRuntime,
    readonly runtimeVersion: string,
  ) {}

  Version(): object {
    return {
      version: '0.1.0',
      runtime_name: LOCAL_RUNTIME_NAME,
      runtime_version: this.runtimeVersion,
      runtime_api_version: 'v1',
    };
  }

  RunPodSandbox(req: Req): object {
    const config = req.config as CriPodSandboxConfig | null;
    if (!config?.metadata?.name)
      throw new InvalidOptionError({
        key: 'config.metadata.name',
        source: 'RunPodSandbox',
        rule: 'must be set',
        hint: 'name the sandbox',
      });
    const id = newId();
    this.#sandboxes.set(id, { id, config, ready: true, createdAt: new Date(), containers: new Set() });
    return { pod_sandbox_id: id };
  }

  async StopPodSandbox(req: Req): Promise<object> {
    const sandbox = this.#sandbox(req.pod_sandbox_id);
    await Promise.all([...sandbox.containers].map((id) => this.runtime.stop(id, 0).catch(() => undefined)));
    sandbox.ready = false;
    return {};
  }

  async RemovePodSandbox(req: Req): Promise<object> {
    const sandbox = this.#sandboxes.get(req.pod_sandbox_id);
    // Like containerd: removing what is already gone succeeds.
    if (!sandbox) return {};
    for (const id of sandbox.containers) await this.#removeContainer(id);
    this.#sandboxes.delete(sandbox.id);
    return {};
  }

  ListPodSandbox(req: Req): object {
    const f = req.filter ?? {};
    const items = [...this.#sandboxes.values()]
      .filter(
        (s) =>
          (!f.id || s.id.startsWith(f.id)) && (!f.state || (f.state.state === 'SANDBOX_READY') === s.ready),
      )
      .filter((s) => matchesLabels(s.config.labels ?? {}, f.label_selector))
      .map((s) => ({
        id: s.id,
        metadata: s.config.metadata,
        state: s.ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
        created_at: dateToNs(s.createdAt),
        labels: s.config.labels ?? {},
        annotations: s.config.annotations ?? {},
      }));
    const own = this.runtime
      .snapshot()
      .filter((s) => !this.#extra.has(s.id))
      .map(toConfigSandbox)
      .filter(
        (s) =>
          (!f.id || s.id.startsWith(f.id)) &&
          (!f.state || f.state.state === s.state) &&
          matchesLabels(s.labels, f.label_selector),
      );
    return { items: [...items, ...own] };
  }

  CreateContainer(req: Req): object {
    const sandbox = this.#sandbox(req.pod_sandbox_id);
    const config = req.config as CriContainerConfig | null;
    const name = config?.metadata?.name;
    if (!config || !name)
      throw new InvalidOptionError({
        key: 'config.metadata.name',
        source: 'CreateContainer',
        rule: 'must be set',
        hint: 'name the container',
      });
    // There are no images: the program must come from the command (entrypoint) itself.
    const argv = [...(config.command ?? []), ...(config.args ?? [])];
    if (argv.length === 0) {
      throw new InvalidOptionError({
        key: 'config.command',
        source: `CreateContainer "${name}"`,
        rule: 'must not be empty',
        hint: 'the local runtime has no images, so give the program to run in command',
      });
    }
    const logDir = req.sandbox_config?.log_directory || sandbox.config.log_directory;
    const meta = sandbox.config.metadata;
    const attempt = config.metadata.attempt ?? 0;
    // Without a CRI log location, fall back to the kubelet's pod log layout under the log root.
    const logPath =
      logDir && config.log_path
        ? path.resolve(logDir, config.log_path)
        : path.join(
            this.runtime.logRoot,
            `${meta.namespace}_${meta.name}_${meta.uid}`,
            name,
            `${attempt}.log`,
          );
    const id = this.runtime.add(
      {
        name,
        command: argv[0],
        args: argv.slice(1),
        env: Object.fromEntries((config.envs ?? []).map((e) => [e.key, e.value])),
        ...(config.working_dir ? { cwd: config.working_dir } : {}),
        labels: config.labels ?? {},
        annotations: config.annotations ?? {},
      },
      { logPath, attempt },
    );
    sandbox.containers.add(id);
    this.#extra.set(id, { podSandboxId: sandbox.id, image: config.image?.image ?? '' });
    return { container_id: id };
  }

  async StartContainer(req: Req): Promise<object> {
    await this.runtime.startContainer(req.container_id);
    return {};
  }

  async StopContainer(req: Req): Promise<object> {
    const seconds = Number(req.timeout ?? 0);
    await this.runtime.stop(req.container_id, Math.max(0, seconds) * 1000);
    return {};
  }

  async RemoveContainer(req: Req): Promise<object> {
    await this.#removeContainer(req.container_id);
    return {};
  }

  ListContainers(req: Req): object {
    const f = req.filter ?? {};
    const containers = this.runtime
      .snapshot()
      .map((s) => toCriContainer(s, this.#extra.get(s.id)))
      .filter((c) => !f.id || c.id.startsWith(f.id))
      .filter((c) => !f.state || c.state === f.state.state)
      .filter((c) => !f.pod_sandbox_id || c.pod_sandbox_id.startsWith(f.pod_sandbox_id))
      .filter((c) => matchesLabels(c.labels, f.label_selector));
    return { containers };
  }

  ContainerStatus(req: Req): object {
    const snapshot = this.runtime.inspect(req.container_id);
    const status = toCriContainerStatus(snapshot, this.#extra.get(snapshot.id));
    const info = req.verbose
      ? { info: JSON.stringify({ pid: snapshot.pid ?? 0, log: snapshot.log ?? null }) }
      : {};
    return { status, info };
  }

  async ReopenContainerLog(req: Req): Promise<object> {
    await this.runtime.reopenContainerLog(req.container_id);
    return {};
  }

  async #removeContainer(id: string): Promise<void> {
    try {
      await this.runtime.remove(id);
    } catch (err) {
      // Idempotent, as the CRI requires.
      if (!(err instanceof ContainerNotFoundError)) throw err;
    }
    const extra = this.#extra.get(id);
    this.#extra.delete(id);
    if (extra) this.#sandboxes.get(extra.podSandboxId)?.containers.delete(id);
  }

  #sandbox(id: string): Sandbox {
    const sandbox = this.#sandboxes.get(id);
    if (!sandbox) throw new SandboxNotFoundError(id);
    return sandbox;
  }
}

/** An unknown sandbox id; answered with NOT_FOUND. */
export class SandboxNotFoundError extends Error {
  constructor(readonly sandboxId: string) {
    super(`pod sandbox "${sandboxId}" not found`);
    this.name = 'SandboxNotFoundError';
  }
}
