import type { ContainerLogManager } from '../manager/container-log-manager.js';
import type { ContainerReport, PassReport } from '../manager/types.js';
import type { Logger } from '../ports/logger.js';
import type { RuntimeService } from '../ports/runtime-service.js';

/** Opaque: what `ChangeTracker.snapshot()` saw. */
export type ChangeSnapshot = ReadonlyMap<object, number>;

/** What the trigger tells the scheduler about each log directory. */
export interface ChangeTracker {
  /** Change counters of every watched container, taken before a check. */
  snapshot(): ChangeSnapshot;
  /** The containers in `snapshot` have been checked up to those counters. */
  markChecked(snapshot: ChangeSnapshot): void;
  /** False only when a healthy watch saw nothing happen in the container's directory since its last check. */
  needsCheck(id: string): boolean;
}

/** Options of `new PassScheduler()`. */
export interface PassSchedulerOptions {
  manager: ContainerLogManager;
  /** The runtime the manager uses (so its status cache sees the same lists). */
  runtime: RuntimeService;
  tracker?: ChangeTracker;
  intervalMs: number;
  /** Every how many intervals all containers are checked regardless of watches. Default 6. */
  fullPassEvery?: number;
  /** Called after a quick pass (full passes are reported by the manager's `pass` event). */
  onQuickPass(report: PassReport): void;
  /** A quick pass could not list containers. */
  onListError(error: Error): void;
  logger: Logger;
}

/**
 * Runs the periodic passes. Every interval the containers are listed (new containers are found and
 * watched within one interval), and each running one is checked unless the kernel vouches that nothing
 * happened in its log directory since its last check (an inotify watch with no event). Every
 * `fullPassEvery` intervals, after a failed list and whenever watches are not available, the manager's
 * full pass checks every container: that is the safety net against lost events, and where compressions
 * that failed are retried. On an idle node this skips nearly all file system work.
 */
export class PassScheduler {
  readonly #o: Required<Omit<PassSchedulerOptions, 'tracker'>> & Pick<PassSchedulerOptions, 'tracker'>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #sinceFull = Infinity;
  #lastOk = false;
  readonly #last = new Map<string, ContainerReport>();

  constructor(options: PassSchedulerOptions) {
    this.#o = { fullPassEvery: 6, ...options };
  }

  /** First pass now (a full one), then one per interval; passes never overlap. */
  start(): void {
    if (!this.#o.manager.enabled) return;
    this.#stopped = false;
    this.#arm(0);
  }

  /** Stops scheduling and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#tick().finally(() => {
        this.#running = undefined;
        if (!this.#stopped) this.#arm(this.#o.intervalMs);
      });
    }, ms);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    try {
      const full = !this.#o.tracker || !this.#lastOk || this.#sinceFull + 1 >= this.#o.fullPassEvery;
      if (full) await this.#full();
      else await this.#quick();
    } catch (err) {
      this.#o.logger.error({ err }, 'rotation pass failed');
    }
  }

  async #full(): Promise<void> {
    const snapshot = this.#o.tracker?.snapshot();
    const report = await this.#o.manager.rotateOnce();
    this.#lastOk = !report.error;
    if (report.error) return;
    this.#sinceFull = 0;
    this.#remember(report.containers);
    if (snapshot) this.#o.tracker?.markChecked(snapshot);
  }

  async #quick(): Promise<void> {
    const started = performance.now();
    const startedAt = new Date();
    const snapshot = this.#o.tracker!.snapshot();
    let list;
    try {
      list = await this.#o.runtime.listContainers();
    } catch (error) {
      this.#lastOk = false;
      const err = new Error('failed to list containers', { cause: error });
      this.#o.onListError(error as Error);
      this.#o.onQuickPass({ startedAt, durationMs: performance.now() - started, containers: [], error: err });
      return;
    }
    this.#sinceFull++;
    const containers = await Promise.all(
      list.map(async (c): Promise<ContainerReport> => {
        if (c.state !== 'running') return { id: c.id, action: 'skipped' };
        const last = this.#last.get(c.id);
        if (last && !this.#o.tracker!.needsCheck(c.id)) return last;
        return this.#o.manager.checkContainer(c.id);
      }),
    );
    this.#remember(containers);
    this.#o.tracker!.markChecked(snapshot);
    this.#o.onQuickPass({ startedAt, durationMs: performance.now() - started, containers });
  }

  /** Keeps each container's last report, as it stands now (a rotation is not repeated when reused). */
  #remember(reports: readonly ContainerReport[]): void {
    const seen = new Set<string>();
    for (const r of reports) {
      seen.add(r.id);
      if (r.action === 'failed' || r.action === 'skipped' || r.logPath === undefined) {
        this.#last.delete(r.id);
        continue;
      }
      this.#last.set(r.id, {
        id: r.id,
        logPath: r.logPath,
        action: 'none',
        ...(r.limit !== undefined ? { limit: r.limit } : {}),
        size: r.action === 'rotated' ? 0 : (r.size ?? 0),
      });
    }
    for (const id of this.#last.keys()) if (!seen.has(id)) this.#last.delete(id);
  }
}
