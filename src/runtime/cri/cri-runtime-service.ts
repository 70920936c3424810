import { status as GrpcStatus, type Client } from '@grpc/grpc-js';
import { InvalidOptionError, RuntimeError, RuntimeUnavailableError } from '../../errors/crilog-error.js';
import type {
  ContainerInfo,
  ContainerMetadata,
  ContainerState,
  ContainerStatus,
  RuntimeService,
} from '../../ports/runtime-service.js';
import { parseRuntimeEndpoint, resolveRuntimeEndpoint, type RuntimeEndpoint } from '../../units/endpoint.js';
import {
  createRuntimeClient,
  decodeResponse,
  rawUnaryCall,
  unaryCall,
  type ChannelOptions,
} from './grpc-client.js';
import { grpcStatusName, mapGrpcError } from './grpc-errors.js';
import type {
  CriContainer,
  CriContainerMetadata,
  CriContainerState,
  CriContainerStatusResponse,
  CriListContainersResponse,
  CriListPodSandboxResponse,
  CriVersionResponse,
} from './messages.js';
import { splitListedContainers, type RawContainer } from './listed-containers.js';
import { describeProbe, probeSocket } from './probe-socket.js';

/** Default deadline of every CRI call. */
export const DEFAULT_CALL_TIMEOUT_MS = 5000;

/** Options of `new CriRuntimeService()`. */
export interface CriRuntimeServiceOptions extends ChannelOptions {
  /**
   * `unix:///path/to.sock` or `/path/to.sock`, or an already parsed endpoint. When left out,
   * `CONTAINER_RUNTIME_ENDPOINT` from `env` is used.
   */
  endpoint?: string | RuntimeEndpoint;
  /** Environment for the `CONTAINER_RUNTIME_ENDPOINT` fallback; `process.env` by default. */
  env?: NodeJS.ProcessEnv;
  /** Deadline of each call in ms. Default 5000. */
  callTimeoutMs?: number;
}

/** What `Version` reported. */
export interface RuntimeVersion {
  /** e.g. `containerd`. */
  runtimeName: string;
  /** e.g. `1.6.20~ds1`. */
  runtimeVersion: string;
  /** CRI API version the runtime speaks, e.g. `v1`. */
  runtimeApiVersion: string;
}

/** More new sandboxes than this at once are learnt from one whole listing instead of one call each. */
const SANDBOX_LOOKUPS = 16;

/** Only crilog's own pod annotations are carried over to containers. */
const POLICY_PREFIX = 'crilog.io/';

/** What crilog keeps of each pod sandbox: its names and its `crilog.io/*` annotations. */
interface SandboxFacts {
  podName: string;
  podNamespace: string;
  podUid: string;
  policy: Record<string, string>;
}

/** A container as the last listing had it: its bytes, and what was made of them with which sandbox. */
interface ListedEntry {
  bytes: Buffer;
  cri: CriContainer;
  sandbox: SandboxFacts | undefined;
  info: ContainerInfo | undefined;
}

const STATES: Readonly<Record<CriContainerState, ContainerState>> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_UNKNOWN: 'unknown',
};

/** Maps a CRI container state (by name) to the port's state; anything unrecognised is `unknown`. */
export function mapContainerState(state: string): ContainerState {
  return STATES[state as CriContainerState] ?? 'unknown';
}

/**
 * The `RuntimeService` port over CRI `runtime.v1` gRPC on a unix socket (containerd, CRI-O, or
 * crilog's embedded runtime). Calls fail with crilog's typed errors; see `mapGrpcError`.
 */
export class CriRuntimeService implements RuntimeService {
  /** Sandbox of every listed container, to find its pod's annotations. */
  readonly #sandboxOf = new Map<string, string>();
  /**
   * Names and `crilog.io/*` annotations of every sandbox seen. A sandbox's metadata and annotations are
   * fixed when the kubelet creates it, so each sandbox is looked up once, not at every list.
   */
  readonly #sandboxes = new Map<string, SandboxFacts>();
  /** Every container of the last listing, by id: what lets the next one decode only what changed. */
  #listed = new Map<string, ListedEntry>();
  /** The last listing's bytes and what they made, when each of its sandboxes was learnt. */
  #lastListing: { bytes: Buffer; list: readonly ContainerInfo[] } | undefined;
  /** The endpoint in use. */
  readonly endpoint: RuntimeEndpoint;
  /** Deadline of each call in ms. */
  readonly callTimeoutMs: number;
  /** The underlying grpc-js client; shared with `CriTestClient` when built from this service. */
  readonly client: Client;

  constructor(options: CriRuntimeServiceOptions = {}) {
    const { endpoint } = options;
    if (typeof endpoint === 'object') this.endpoint = endpoint;
    else if (endpoint !== undefined) this.endpoint = parseRuntimeEndpoint(endpoint, 'option');
    else this.endpoint = resolveRuntimeEndpoint(options.env === undefined ? {} : { env: options.env });
    const timeout = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    if (!Number.isFinite(timeout) || timeout <= 0) {
      throw new InvalidOptionError({
        key: 'callTimeoutMs',
        value: timeout,
        rule: 'must be a positive number of milliseconds',
      });
    }
    this.callTimeoutMs = timeout;
    this.client = createRuntimeClient(this.endpoint, options);
  }

  /** Calls a CRI method with the deadline (`callTimeoutMs` unless given), mapping failures to typed errors. */
  protected call<Res>(
    method: string,
    request: object,
    containerId?: string,
    timeoutMs: number = this.callTimeoutMs,
  ): Promise<Res> {
    return this.#mapped(method, containerId, () => unaryCall<Res>(this.client, method, request, timeoutMs));
  }

  async #mapped<Res>(
    method: string,
    containerId: string | undefined,
    call: () => Promise<Res>,
  ): Promise<Res> {
    try {
      return await call();
    } catch (err) {
      throw mapGrpcError(err, {
        method,
        endpoint: this.endpoint.raw,
        ...(containerId === undefined ? {} : { containerId }),
      });
    }
  }

  /** The runtime's name and version. */
  async version(): Promise<RuntimeVersion> {
    const res = await this.call<CriVersionResponse>('Version', { version: 'v1' });
    return {
      runtimeName: res.runtime_name,
      runtimeVersion: res.runtime_version,
      runtimeApiVersion: res.runtime_api_version,
    };
  }

  /**
   * Checks that the endpoint is a CRI runtime by calling `Version`. With `waitMs`, first waits that
   * long for the socket to accept connections (a runtime starting after crilog). On failure the
   * `RuntimeUnavailableError` names the endpoint, what was tried and what the socket looked like.
   */
  async connect(opts: { waitMs?: number } = {}): Promise<RuntimeVersion> {
    const waitMs = opts.waitMs ?? 0;
    const tried: string[] = [];
    if (waitMs > 0) {
      const ready = await new Promise<Error | undefined>((resolve) =>
        this.client.waitForReady(Date.now() + waitMs, (err) => resolve(err)),
      );
      tried.push(`waited ${waitMs} ms for the socket to accept connections${ready ? ' (it did not)' : ''}`);
    }
    try {
      return await this.version();
    } catch (err) {
      const grpcErr = (err as Error).cause as { code?: number; details?: string } | undefined;
      const code = grpcErr?.code;
      tried.push(
        `called Version with a ${this.callTimeoutMs} ms deadline: ` +
          (code === undefined ? String(err) : `${grpcStatusName(code)}: ${grpcErr?.details ?? ''}`),
      );
      let why: string;
      if (code === GrpcStatus.UNIMPLEMENTED) {
        why = 'the server does not implement runtime.v1.RuntimeService (a runtime older than CRI v1?)';
      } else {
        why = describeProbe(this.endpoint.socketPath, await probeSocket(this.endpoint.socketPath));
      }
      const from = this.endpoint.source === 'env' ? ' (from CONTAINER_RUNTIME_ENDPOINT)' : '';
      const message =
        `cannot use CRI runtime at "${this.endpoint.raw}"${from}: ${why}; tried: ${tried.join('; then ')}. ` +
        'Start the runtime, or point --runtime-endpoint / CONTAINER_RUNTIME_ENDPOINT at its socket';
      throw new RuntimeUnavailableError(message, { cause: err });
    }
  }

  /**
   * @inheritdoc The kubelet puts pod annotations on the pod sandbox, not on its containers, so the
   * `crilog.io/*` annotations of each container's sandbox are merged under the container's own.
   */
  async listContainers(): Promise<ContainerInfo[]> {
    const method = 'ListContainers';
    const bytes = await this.#mapped(method, undefined, () =>
      rawUnaryCall(this.client, method, { filter: {} }, this.callTimeoutMs),
    );
    // On an idle node the whole answer is byte for byte the last one: one comparison, nothing decoded.
    if (this.#lastListing?.bytes.equals(bytes)) return [...this.#lastListing.list];
    this.#lastListing = undefined;
    const raw = splitListedContainers(bytes);
    // Bytes the scanner does not understand are decoded whole: the decoder says what is wrong with them.
    const entries = raw
      ? this.#entriesOf(raw)
      : new Map(this.#decoded(bytes).map((c) => [c.id, this.#entryOf(c)]));
    this.#sandboxOf.clear();
    const wanted = new Set<string>();
    for (const [id, { cri }] of entries) {
      this.#sandboxOf.set(id, cri.pod_sandbox_id);
      if (cri.pod_sandbox_id) wanted.add(cri.pod_sandbox_id);
    }
    await this.#learnSandboxes(wanted);
    this.#listed = raw ? entries : new Map();
    const list: ContainerInfo[] = [];
    for (const entry of entries.values()) {
      const sandbox = this.#sandboxes.get(entry.cri.pod_sandbox_id);
      // A container's info is rebuilt only if its bytes or what its sandbox told changed.
      if (!entry.info || entry.sandbox !== sandbox) {
        entry.sandbox = sandbox;
        entry.info = toInfo(entry.cri, sandbox);
      }
      list.push(entry.info);
    }
    // A sandbox that could not be looked up is asked for again by the next listing, whatever its bytes.
    let learnt = raw !== undefined;
    for (const id of wanted) learnt &&= this.#sandboxes.has(id);
    if (learnt) this.#lastListing = { bytes, list };
    return list;
  }

  /** The listing's containers by id, reusing what the last listing made of bytes that did not change. */
  #entriesOf(raw: readonly RawContainer[]): Map<string, ListedEntry> {
    const same = raw.map((c) => {
      const last = this.#listed.get(c.id);
      return last?.info && last.bytes.equals(c.bytes) ? last : undefined;
    });
    const changed = raw.filter((_, i) => !same[i]);
    // The parts are one-container responses, so the changed ones decode together as one response.
    const decoded = changed.length === 0 ? [] : this.#decoded(Buffer.concat(changed.map((c) => c.bytes)));
    const entries = new Map<string, ListedEntry>();
    let next = 0;
    // In the runtime's order, which callers may show.
    raw.forEach((c, i) => {
      const last = same[i];
      if (last) last.bytes = c.bytes;
      entries.set(c.id, last ?? this.#entryOf(decoded[next++]!, c.bytes));
    });
    return entries;
  }

  #entryOf(cri: CriContainer, bytes: Buffer = Buffer.alloc(0)): ListedEntry {
    return { bytes, cri, sandbox: undefined, info: undefined };
  }

  #decoded(bytes: Buffer): CriContainer[] {
    try {
      return decodeResponse<CriListContainersResponse>(this.client, 'ListContainers', bytes).containers;
    } catch (err) {
      throw new RuntimeError(
        `CRI ListContainers from "${this.endpoint.raw}" returned a response that is not a ListContainersResponse; ` +
          'point --runtime-endpoint at a CRI runtime.v1 socket (containerd, CRI-O)',
        'ListContainers',
        { cause: err },
      );
    }
  }

  /** @inheritdoc `logPath` is `status.log_path` exactly as the runtime reports it. */
  async containerStatus(id: string): Promise<ContainerStatus> {
    const res = await this.call<CriContainerStatusResponse>('ContainerStatus', { container_id: id }, id);
    const st = res.status;
    if (!st) {
      throw new RuntimeError(
        `CRI ContainerStatus for container "${id}" returned no status`,
        'ContainerStatus',
      );
    }
    const sandboxId = this.#sandboxOf.get(id);
    const sandbox = sandboxId === undefined ? undefined : this.#sandboxes.get(sandboxId);
    return {
      id: st.id || id,
      state: mapContainerState(st.state),
      labels: st.labels ?? {},
      annotations: { ...sandbox?.policy, ...st.annotations },
      ...withMetadata(st.metadata, sandbox),
      logPath: st.log_path,
    };
  }

  /**
   * Looks up the sandboxes in `wanted` not seen before (one filtered `ListPodSandbox` each, or one
   * whole listing when there are many, as at start) and forgets those no container uses any more. On
   * an idle node this is no call at all.
   */
  async #learnSandboxes(wanted: ReadonlySet<string>): Promise<void> {
    for (const id of this.#sandboxes.keys()) if (!wanted.has(id)) this.#sandboxes.delete(id);
    const unknown = [...wanted].filter((id) => !this.#sandboxes.has(id));
    if (unknown.length === 0) return;
    const lookups =
      unknown.length > SANDBOX_LOOKUPS
        ? [{ filter: {}, ids: unknown }]
        : unknown.map((id) => ({ filter: { id }, ids: [id] }));
    await Promise.all(
      lookups.map(async ({ filter, ids }) => {
        let res: CriListPodSandboxResponse;
        try {
          res = await this.call<CriListPodSandboxResponse>('ListPodSandbox', { filter });
        } catch {
          // Sandboxes are an extra: without them node defaults apply, and the next list asks again.
          return;
        }
        for (const sb of res.items) {
          if (!wanted.has(sb.id)) continue;
          const own = Object.entries(sb.annotations ?? {}).filter(([k]) => k.startsWith(POLICY_PREFIX));
          this.#sandboxes.set(sb.id, {
            podName: sb.metadata?.name ?? '',
            podNamespace: sb.metadata?.namespace ?? '',
            podUid: sb.metadata?.uid ?? '',
            policy: Object.fromEntries(own),
          });
        }
        // Answered but not there (removed meanwhile): nothing to carry over, and no need to ask again.
        for (const id of ids)
          if (!this.#sandboxes.has(id))
            this.#sandboxes.set(id, { podName: '', podNamespace: '', podUid: '', policy: {} });
      }),
    );
  }

  /** @inheritdoc */
  async reopenContainerLog(id: string): Promise<void> {
    await this.call<object>('ReopenContainerLog', { container_id: id }, id);
  }

  /** Closes the channel; later calls fail. */
  close(): void {
    this.client.close();
  }
}

/**
 * What the port reports of a listed container. Frozen, because a listing's entries are handed out again
 * by the next listings as long as their bytes are unchanged.
 */
function toInfo(c: CriContainer, sandbox: SandboxFacts | undefined): ContainerInfo {
  return Object.freeze({
    id: c.id,
    state: mapContainerState(c.state),
    labels: Object.freeze(c.labels ?? {}),
    annotations: Object.freeze({ ...sandbox?.policy, ...c.annotations }),
    ...withMetadata(c.metadata, sandbox),
  });
}

/** The port's `metadata` from CRI container metadata and the facts of its sandbox (spread-ready). */
function withMetadata(
  meta: CriContainerMetadata | null | undefined,
  sandbox: SandboxFacts | undefined,
): { metadata?: ContainerMetadata } {
  if (!meta) return {};
  const metadata: ContainerMetadata = { name: meta.name, attempt: meta.attempt ?? 0 };
  if (sandbox?.podName) metadata.podName = sandbox.podName;
  if (sandbox?.podNamespace) metadata.podNamespace = sandbox.podNamespace;
  if (sandbox?.podUid) metadata.podUid = sandbox.podUid;
  return { metadata: Object.freeze(metadata) };
}
