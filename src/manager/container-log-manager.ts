import { EventEmitter } from 'node:events';
import { ContainerNotFoundError, hasErrorCode } from '../errors/crilog-error.js';
import { Limiter, KeyedMutex } from '../util/limiter.js';
import { checkContainer, isYoung, type CheckContext, type RotationMemo } from './check-container.js';
import { cleanLogPath } from './clean.js';
import { CompressionQueue } from './compression-queue.js';
import { CompressionPool } from '../codecs/worker/compression-pool.js';
import { NodeBudget } from './node-budget.js';
import { PassScheduler, type PassHooks } from './pass-scheduler.js';
import { DiskPressure, type TrackedLog } from './disk/disk-pressure.js';
import { InvalidOptionError } from '../errors/crilog-error.js';
import { resolvePolicy, type RotationPolicy } from '../policy/container-policy.js';
import type { ContainerStatus } from '../ports/runtime-service.js';
import { normalizeOptions, type NormalizedOptions } from './options.js';
import type { ContainerLogManagerOptions, ContainerReport, ManagerEvents, PassReport } from './types.js';

/**
 * How long the state of a container the runtime no longer lists is kept: long enough for the usual
 * `clean` right after a removal, short enough that churn does not accumulate.
 */
export const STATE_GRACE_MS = 10 * 60_000;

/**
 * Keeps container logs within their size and file-count limits: the kubelet's container log manager,
 * with bounded concurrency, rotation decoupled from compression, and crash-safe steps.
 *
 * `start()` only schedules passes; `rotateOnce()` runs one pass and is what tests and `crilog rotate
 * --once` call. A negative `maxSize` yields a manager that does nothing, as in the kubelet.
 */
export class ContainerLogManager extends EventEmitter<ManagerEvents> {
  #options: NormalizedOptions;
  readonly #containers: Limiter;
  readonly #mutex = new KeyedMutex();
  readonly #compressions: CompressionQueue;
  readonly #pool: CompressionPool;
  readonly #inflight = new Set<Promise<unknown>>();
  /**
   * Log path of every container a check has seen, so `clean` works after the runtime forgot it; kept
   * for `STATE_GRACE_MS` after the runtime last listed the container, then dropped with the rest of its
   * state, so container churn cannot grow the manager's memory without bound.
   */
  readonly #logPaths = new Map<string, { logPath: string; seenMs: number }>();
  /** Last rotation attempt per container (storm guards). */
  readonly #rotations = new Map<string, RotationMemo>();
  #budget: NodeBudget | null;
  readonly #disk: DiskPressure;
  /** Containers the last checks saw, for disk pressure: their log and runtime state. */
  readonly #tracked = new Map<string, TrackedLog>();
  #lastDiskCheck = -Infinity;
  /** Containers whose policy problems were already reported: one warning each, not one per pass. */
  readonly #policyWarned = new Set<string>();
  /** The passes of `start()`, until `stop()`. */
  #scheduler: PassScheduler | undefined;
  /** While stopping, checks still queued for a worker are skipped instead of started. */
  #stopping = false;

  constructor(options: ContainerLogManagerOptions) {
    super();
    this.#options = normalizeOptions(options);
    this.#containers = new Limiter(this.options.workers);
    this.#pool = new CompressionPool({
      size: this.options.workers,
      nice: this.options.compressionNice,
      gzipEngine: this.options.gzipEngine,
    });
    this.#compressions = new CompressionQueue(new Limiter(this.options.workers), {
      fs: this.options.fs,
      emit: (event) => this.emit('compression', event),
      pool: this.#pool,
    });
    this.#budget = this.#makeBudget();
    this.#disk = new DiskPressure(
      { minFree: this.options.minFree, minFreeInodes: this.options.minFreeInodes },
      this.options.diskPaths,
      {
        fs: this.options.fs,
        disk: this.options.diskStats,
        clock: this.options.clock,
        mutex: this.#mutex,
        compressions: this.#compressions,
        logs: () => this.#tracked,
        compression: () => this.options.policy.compression,
        minRotatedAgeMs: () => this.options.minRotatedAgeMs,
        rotateEarly: async (id) => {
          if (this.#stopping) return undefined;
          const report = await this.#mutex.run(id, () =>
            checkContainer(this.#context(), id, { force: true }),
          );
          return report.action === 'rotated' ? report.rotatedTo : undefined;
        },
        emit: (e) => {
          this.emit('disk-pressure', e);
          if (e.removed.length > 0) this.emit('removed', { reason: 'disk-pressure', paths: e.removed });
        },
      },
    );
  }

  /** The validated options, with defaults applied and sizes in bytes. */
  get options(): NormalizedOptions {
    return this.#options;
  }

  #makeBudget(): NodeBudget | null {
    const { maxTotalSize } = this.options;
    return maxTotalSize === null
      ? null
      : new NodeBudget(maxTotalSize, {
          fs: this.options.fs,
          mutex: this.#mutex,
          compressions: this.#compressions,
          emit: (e) => {
            this.emit('budget', e);
            if (e.removed.length > 0) this.emit('removed', { reason: 'budget', paths: e.removed });
          },
          young: () => isYoung(this),
          rotate: (id) => this.#rotateForBudget(id),
        });
  }

  /**
   * Applies new options from the next check on, without a restart: checks already running finish
   * with the old ones, and nothing is rotated twice or skipped. The ports (`runtime`, `fs`, `clock`,
   * `diskStats`) stay; `workers` and `compressionNice` size running thread pools and cannot
   * change (an `InvalidOptionError` names them, and nothing changes).
   */
  reconfigure(options: Omit<ContainerLogManagerOptions, 'runtime'>): void {
    const o = this.options;
    const next = normalizeOptions({
      runtime: o.runtime,
      fs: o.fs,
      clock: o.clock,
      diskStats: o.diskStats,
      ...options,
    });
    const fixed = (['workers', 'compressionNice'] as const).filter((k) => next[k] !== o[k]);
    if (fixed.length > 0)
      throw new InvalidOptionError({
        key: fixed.join(' and '),
        rule: 'cannot change while the manager runs (they size its thread pools)',
        hint: 'create a new ContainerLogManager to change them',
      });
    this.#options = next;
    if (next.maxTotalSize !== o.maxTotalSize) this.#budget = this.#makeBudget();
    this.#disk.limits = { minFree: next.minFree, minFreeInodes: next.minFreeInodes };
    this.#policyWarned.clear();
  }

  /** The deflate engine gzip compressions run on (`gzipEngine`: libdeflate when its binding is built). */
  get gzipEngine(): 'libdeflate' | 'zlib' {
    return this.#pool.gzipEngine;
  }

  /** The filesystems of the logs as disk pressure last measured them. */
  get filesystems() {
    return this.#disk.filesystems;
  }

  /**
   * Measures free space and inodes of the logs' filesystems and, below `minFree` / `minFreeInodes`,
   * relieves them (compress, delete the oldest rotations, rotate large live logs early). Cheap when
   * there is no pressure (one statfs per filesystem); calls within 250 ms of the last one are skipped.
   */
  async checkDiskPressure(): Promise<void> {
    const now = performance.now();
    if (this.#stopping || now - this.#lastDiskCheck < 250) return;
    this.#lastDiskCheck = now;
    try {
      await this.#track(this.#disk.check());
    } catch (err) {
      this.emit('task-error', {
        task: 'disk-check',
        error: new Error('failed to check the free space of the log filesystems', { cause: err }),
      });
    }
  }

  /** Bytes of all managed logs as last measured, and the budget (`null` when none is set). */
  get usage(): { usedBytes: number; limitBytes: number | null } {
    return { usedBytes: this.#budget?.used ?? 0, limitBytes: this.#budget?.limit ?? null };
  }

  /** False when `maxSize` is negative: rotation is turned off. */
  get enabled(): boolean {
    return this.options.maxSize >= 0;
  }

  /**
   * One full pass over all containers, `workers` at a time; one container's failure never stops the
   * others. Resolves after the compressions the pass started have finished.
   */
  rotateOnce(): Promise<PassReport> {
    return this.#track(this.#pass());
  }

  /**
   * Checks one container now (the fast path for event-driven triggers): rotates it if its live log
   * reached the limit. Does not wait for the compression of older files.
   */
  checkContainer(id: string): Promise<ContainerReport> {
    if (!this.enabled) return Promise.resolve({ id, action: 'skipped' });
    const ctx = this.#context();
    return this.#track(
      this.#containers.run(async () => {
        const report = await this.#check(ctx, id);
        await this.#enforceBudget();
        await this.checkDiskPressure();
        return report;
      }),
    );
  }

  /**
   * Removes a container's live log and every rotation of it. Only files named as that log's rotations
   * are touched; a sibling whose name merely shares the prefix survives. Returns the removed paths.
   */
  async clean(id: string): Promise<string[]> {
    let logPath: string;
    try {
      logPath = (await this.options.runtime.containerStatus(id)).logPath;
    } catch (error) {
      if (!hasErrorCode(error, 'ERR_CONTAINER_NOT_FOUND'))
        throw new Error(`failed to get the status of container "${id}" to clean its logs`, { cause: error });
      // The usual caller cleans right after removing the container: use the path a pass saw.
      const known = this.#logPaths.get(id);
      if (known === undefined) throw new ContainerNotFoundError(id, { cause: error });
      logPath = known.logPath;
    }
    return this.#track(
      this.#mutex.run(id, async () => {
        await this.#compressions.cancelPrefix(`${logPath}.`);
        const removed = await cleanLogPath(logPath, this.options.fs);
        this.#forget(id);
        this.#tracked.delete(id);
        return removed;
      }),
    );
  }

  /**
   * Runs a full pass now and then one every `monitorInterval` (read anew each time, so `reconfigure`
   * changes it); passes never overlap. With `hooks` (a change tracker, a discovery of new containers)
   * most passes are quick ones, reported as `quick-pass` events: see `PassScheduler`.
   */
  start(hooks: PassHooks = {}): void {
    if (this.#scheduler || !this.enabled) return;
    this.#scheduler = new PassScheduler({ ...hooks, manager: this });
    this.#scheduler.start();
  }

  /**
   * Stops scheduling, cancels pending compressions (the next start redoes them) and waits for in-flight
   * rotations, which are short, to finish: nothing is left half-done.
   */
  async stop(): Promise<void> {
    const scheduler = this.#scheduler;
    this.#scheduler = undefined;
    this.#stopping = true;
    try {
      await scheduler?.stop();
      await this.#compressions.drain(true);
      while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
      // Idle workers would not keep the process alive, but stopping should leave no threads behind.
      await this.#pool.close();
    } finally {
      this.#stopping = false;
    }
  }

  async #check(ctx: CheckContext, id: string): Promise<ContainerReport> {
    if (this.#stopping) return { id, action: 'skipped' };
    const report = await this.#mutex.run(id, () => checkContainer(ctx, id));
    this.#reportFailure(report);
    if (report.logPath !== undefined) this.#tracked.set(id, { logPath: report.logPath, state: report.state });
    else if (report.action === 'skipped') this.#tracked.delete(id);
    return report;
  }

  async #pass(): Promise<PassReport> {
    const startedAt = this.options.clock.now();
    const started = performance.now();
    if (!this.enabled) return { startedAt, durationMs: 0, containers: [] };
    let list;
    try {
      list = await this.options.runtime.listContainers();
    } catch (error) {
      this.emit('runtime-error', { method: 'listContainers', error: error as Error });
      const report = {
        startedAt,
        durationMs: performance.now() - started,
        containers: [],
        error: new Error('failed to list containers', { cause: error }),
      };
      this.emit('pass', report);
      return report;
    }
    const ctx = this.#context();
    // Stopped containers are checked too: their rotated files are trimmed and compressed by policy.
    const containers = await Promise.all(list.map((c) => this.#containers.run(() => this.#check(ctx, c.id))));
    const listed = new Set(list.map((c) => c.id));
    this.#budget?.retain(listed);
    for (const id of this.#tracked.keys()) if (!listed.has(id)) this.#tracked.delete(id);
    this.#prune(listed);
    await this.#enforceBudget();
    this.#lastDiskCheck = -Infinity;
    await this.checkDiskPressure();
    await Promise.all(ctx.scheduled);
    const report = { startedAt, durationMs: performance.now() - started, containers };
    this.emit('pass', report);
    return report;
  }

  /** A rotation ahead of the limit, for the budget: the same check, forced, under the container's lock. */
  async #rotateForBudget(id: string): Promise<{ rotatedTo: string; bytes: number } | null> {
    if (this.#stopping) return null;
    const ctx = this.#context();
    const report = await this.#mutex.run(id, () => checkContainer(ctx, id, { force: true }));
    this.#reportFailure(report);
    return report.action === 'rotated' && report.rotatedTo
      ? { rotatedTo: report.rotatedTo, bytes: report.size ?? 0 }
      : null;
  }

  /** One `container-error` per failed check, wherever the check came from. */
  #reportFailure(report: ContainerReport): void {
    if (report.action !== 'failed' || !report.error) return;
    this.emit('container-error', {
      id: report.id,
      ...(report.logPath !== undefined ? { logPath: report.logPath } : {}),
      error: report.error,
    });
  }

  /** Drops what is kept of containers the runtime has not listed for `STATE_GRACE_MS`. */
  #prune(listed: ReadonlySet<string>): void {
    const now = this.options.clock.now().getTime();
    for (const [id, entry] of this.#logPaths) {
      if (listed.has(id)) entry.seenMs = now;
      else if (now - entry.seenMs > STATE_GRACE_MS || now < entry.seenMs) this.#forget(id);
    }
    for (const id of this.#rotations.keys()) if (!this.#logPaths.has(id)) this.#rotations.delete(id);
    for (const id of this.#policyWarned) if (!this.#logPaths.has(id)) this.#policyWarned.delete(id);
  }

  #forget(id: string): void {
    this.#logPaths.delete(id);
    this.#rotations.delete(id);
    this.#policyWarned.delete(id);
  }

  /** Containers whose state the manager keeps (for tests of the pruning). */
  get trackedContainers(): number {
    return this.#logPaths.size;
  }

  async #enforceBudget(): Promise<void> {
    try {
      await this.#budget?.enforce();
    } catch (err) {
      this.emit('task-error', {
        task: 'budget',
        error: new Error('failed to enforce the node log budget', { cause: err }),
      });
    }
  }

  #policyFor(status: ContainerStatus): RotationPolicy {
    const node = this.options.policy;
    if (!this.options.policyAnnotations) return node;
    const { policy, problems, clamped } = resolvePolicy(node, status, this.options.bounds);
    // Once per container, not once per pass: annotations of a container never change.
    if ((problems.length > 0 || clamped.length > 0) && !this.#policyWarned.has(status.id)) {
      this.#policyWarned.add(status.id);
      if (problems.length > 0) this.emit('policy-error', { id: status.id, problems });
      if (clamped.length > 0) this.emit('policy-clamped', { id: status.id, clamped });
    }
    return policy;
  }

  #context(): CheckContext {
    return {
      options: this.options,
      compressions: this.#compressions,
      emit: (event, ...args) => (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args),
      policyFor: (status) => this.#policyFor(status),
      record: (id, logPath, bytes) => {
        this.#logPaths.set(id, { logPath, seenMs: this.options.clock.now().getTime() });
        if (bytes !== undefined) this.#budget?.record(id, logPath, bytes);
      },
      scheduled: [],
      rotations: this.#rotations,
    };
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inflight.add(promise);
    void promise.finally(() => this.#inflight.delete(promise)).catch(() => {});
    return promise;
  }
}
