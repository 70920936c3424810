import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { ContainerNotFoundError, InvalidOptionError } from '../../errors/crilog-error.js';
import { silentLogger, type Logger } from '../../ports/logger.js';
import type {
  ContainerInfo,
  ContainerMetadata,
  ContainerStatus,
  RuntimeService,
} from '../../ports/runtime-service.js';
import { DEFAULT_MAX_LINE_SIZE, validateMaxLineSize } from './cri-record-encoder.js';
import { LocalContainer } from './local-container.js';
import type {
  LocalContainerContext,
  LocalContainerSnapshot,
  LocalExitEvent,
  LocalStartEvent,
  LogPathFor,
} from './local-container-types.js';
import type { LogFileOpener } from './log-file.js';
import type { NanoClock } from './nano-clock.js';
import { validateProcessSpec, type ProcessSpec } from '../../settings/process-spec.js';

/** Options of `new LocalRuntime(options)`. */
export interface LocalRuntimeOptions {
  /** Directory under which each container logs to `<name>/<restartCount>.log`. */
  logRoot: string;
  /** Longest CRI record content; longer lines become `P` chunks. Default 16 KiB, like containerd. */
  maxLineSize?: number;
  /** Time between SIGTERM and SIGKILL when stopping. Default 10 s. */
  stopGracePeriodMs?: number;
  /** How long output of a grandchild that holds the pipes is still logged after the process exited. Default 2 s. */
  exitDrainMs?: number;
  /** Delay before a restart, doubling per crash up to `maxMs`. Default 500 ms to 30 s. */
  restartBackoff?: { initialMs?: number; maxMs?: number };
  nanoClock?: NanoClock;
  openLogFile?: LogFileOpener;
  logger?: Logger;
}

/** Options of `add()` for containers whose log location is dictated by a CRI client. */
export interface AddContainerOptions {
  /** Absolute log path for every attempt, instead of `<logRoot>/<name>/<restartCount>.log`. */
  logPath?: string;
  /** Number of the first attempt (the CRI `metadata.attempt`). Default 0. */
  attempt?: number;
  /** How to name the declaration in error messages, e.g. `containers[2]`. Default `container`. */
  where?: string;
}

/** Events of a `LocalRuntime`. */
export interface LocalRuntimeEvents {
  start: [LocalStartEvent];
  exit: [LocalExitEvent];
}

function positiveMs(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0)
    throw new InvalidOptionError({ key: name, value, rule: 'must be a number of milliseconds >= 0' });
  return value;
}

/**
 * Runs ordinary processes as containers and writes their output as CRI logs, the way containerd
 * does; implements the `RuntimeService` port so the log manager can rotate those logs.
 */
export class LocalRuntime extends EventEmitter<LocalRuntimeEvents> implements RuntimeService {
  readonly logRoot: string;
  readonly #containers = new Map<string, LocalContainer>();
  /** Ids of the containers that log under `logRoot` by name (not at a path a CRI client chose). */
  readonly #byName = new Map<string, string>();
  readonly #grace: number;
  readonly #ctx: LocalContainerContext;

  constructor(options: LocalRuntimeOptions) {
    super();
    if (typeof options?.logRoot !== 'string' || options.logRoot === '') {
      throw new InvalidOptionError({
        key: 'logRoot',
        value: options?.logRoot,
        rule: 'must be a directory path for the container logs',
      });
    }
    this.logRoot = path.resolve(options.logRoot);
    this.#grace = positiveMs('stopGracePeriodMs', options.stopGracePeriodMs, 10_000);
    const initialMs = positiveMs('restartBackoff.initialMs', options.restartBackoff?.initialMs, 500);
    const maxMs = Math.max(
      initialMs,
      positiveMs('restartBackoff.maxMs', options.restartBackoff?.maxMs, 30_000),
    );
    const logger = options.logger ?? silentLogger;
    this.#ctx = {
      writerOptions: {
        maxLineSize: validateMaxLineSize(options.maxLineSize ?? DEFAULT_MAX_LINE_SIZE),
        ...(options.nanoClock ? { clock: options.nanoClock } : {}),
        ...(options.openLogFile ? { openFile: options.openLogFile } : {}),
        logger,
      },
      logger,
      exitDrainMs: positiveMs('exitDrainMs', options.exitDrainMs, 2_000),
      restartBackoff: { initialMs, maxMs },
      onStart: (event) => this.emit('start', event),
      onExit: (event) => this.emit('exit', event),
    };
  }

  /**
   * Declares a container (validated, see `ProcessSpec`) in state `created` and returns its id.
   * Names must be unique among containers that log under `logRoot`.
   */
  add(spec: ProcessSpec | unknown, options: AddContainerOptions = {}): string {
    const valid = validateProcessSpec(spec, options.where);
    let logPathFor: LogPathFor;
    let id: string;
    if (options.logPath !== undefined) {
      const fixed = path.resolve(options.logPath);
      const clash = [...this.#containers.values()].find((c) => c.state !== 'exited' && c.logPath === fixed);
      if (clash)
        throw new InvalidOptionError({
          key: 'logPath',
          value: fixed,
          rule: `must be unique: container "${clash.id}" writes there`,
          hint: 'give each container its own log path',
        });
      logPathFor = () => fixed;
      id = `${valid.name}-${randomBytes(6).toString('hex')}`;
    } else {
      if (this.#byName.has(valid.name)) {
        throw new InvalidOptionError({
          key: 'name',
          value: valid.name,
          rule: 'must be unique: another container has it',
          hint: 'give each container a unique name',
        });
      }
      const dir = path.join(this.logRoot, valid.name);
      logPathFor = (n) => path.join(dir, `${n}.log`);
      // Derived from where it logs, so the same config yields the same ids across daemon restarts.
      id = `${valid.name}-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}`;
      valid.labels = { 'io.kubernetes.container.name': valid.name, ...valid.labels };
    }
    const container = new LocalContainer(
      id,
      valid as LocalContainer['spec'],
      logPathFor,
      this.#ctx,
      options.attempt ?? 0,
    );
    this.#containers.set(id, container);
    if (options.logPath === undefined) this.#byName.set(valid.name, id);
    return id;
  }

  /**
   * Adds a list of declarations (the config's `containers:`), all or none: every entry is checked,
   * names included, before the first is added. Returns the ids in order.
   */
  addAll(specs: unknown, where = 'containers'): string[] {
    if (!Array.isArray(specs)) {
      throw new InvalidOptionError({
        key: where,
        value: specs,
        rule: 'must be a list of processes (name, command, args, ...)',
      });
    }
    const valid = specs.map((spec, i) => validateProcessSpec(spec, `${where}[${i}]`));
    const seen = new Set<string>();
    for (const [i, { name }] of valid.entries()) {
      if (seen.has(name) || this.#byName.has(name)) {
        throw new InvalidOptionError({
          key: `${where}[${i}].name`,
          value: name,
          rule: 'must be unique: another container has it',
          hint: 'give each container a unique name',
        });
      }
      seen.add(name);
    }
    return valid.map((spec, i) => this.add(spec, { where: `${where}[${i}]` }));
  }

  /** Id of the container with this name that logs under `logRoot`, if any. */
  findByName(name: string): string | undefined {
    return this.#byName.get(name);
  }

  /** Starts every container still in state `created`; rejects (after starting the others) if any failed. */
  async start(): Promise<void> {
    const created = [...this.#containers.values()].filter((c) => c.state === 'created');
    const results = await Promise.allSettled(created.map((c) => c.start()));
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1)
      throw new AggregateError(
        errors,
        `${errors.length} containers failed to start: ${errors.map((e) => e.message).join('; ')}`,
      );
  }

  /** Starts one container in state `created`. */
  async startContainer(id: string): Promise<void> {
    await this.#get(id).start();
  }

  /** Stops a container for good: SIGTERM, SIGKILL after the grace period; resolves once its log is flushed. */
  async stop(id: string, graceMs = this.#grace): Promise<void> {
    await this.#get(id).stop(graceMs);
  }

  /** Stops the container if needed and forgets it; its log files stay. */
  async remove(id: string): Promise<void> {
    const container = this.#get(id);
    await container.stop(this.#grace);
    if (this.#containers.delete(id) && this.#byName.get(container.spec.name) === id)
      this.#byName.delete(container.spec.name);
  }

  /** Stops every container in parallel; resolves once all exited and their logs are flushed. */
  async stopAll(graceMs = this.#grace): Promise<void> {
    await Promise.all([...this.#containers.values()].map((c) => c.stop(graceMs)));
  }

  /** State, pid, restarts, log path and writer counters of every container. */
  snapshot(): LocalContainerSnapshot[] {
    return [...this.#containers.values()].map((c) => c.snapshot());
  }

  /** Like `snapshot()` for one container; throws `ContainerNotFoundError` for an unknown id. */
  inspect(id: string): LocalContainerSnapshot {
    return this.#get(id).snapshot();
  }

  async listContainers(): Promise<ContainerInfo[]> {
    return this.snapshot().map(({ id, name, state, labels, annotations, restartCount }) => ({
      id,
      state,
      labels,
      annotations,
      metadata: localMetadata(name, restartCount),
    }));
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const { name, state, labels, annotations, logPath, restartCount } = this.#get(id).snapshot();
    return { id, state, labels, annotations, metadata: localMetadata(name, restartCount), logPath };
  }

  async reopenContainerLog(id: string): Promise<void> {
    await this.#get(id).reopenLog();
  }

  #get(id: string): LocalContainer {
    const container = this.#containers.get(id);
    if (!container) throw new ContainerNotFoundError(id);
    return container;
  }
}

/**
 * A local process is its own one-container pod in the `default` namespace, so that pod-style
 * selection (`crilog logs NAME`) works on the embedded runtime as it does under Kubernetes.
 */
function localMetadata(name: string, attempt: number): ContainerMetadata {
  return { name, attempt, podName: name, podNamespace: 'default' };
}
