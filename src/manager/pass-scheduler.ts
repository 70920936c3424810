import type { TimerHandle } from '../ports/clock.js';
import { sameContainers, type ContainerInfo } from '../ports/runtime-service.js';
import type { ContainerLogManager } from './container-log-manager.js';
import type { NormalizedOptions } from './options.js';
import { quietStamp } from './quiet-stamp.js';
import type { ContainerReport } from './types.js';

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

/** What tells the scheduler that containers may have come or gone (see `LogRootWatcher`). */
export interface ContainerDiscovery {
  /** True once if anything changed since the last call; always true when changes could go unseen. */
  takeChanges(): boolean;
  /** The live logs managed now: their re-creation after a rotation is no news. */
  setKnownLogs(paths: ReadonlySet<string>): void;
}

/**
 * What `manager.start(hooks)` may be given so that most passes are quick: without a tracker every pass
 * is a full one (the kubelet's way), with one only containers whose log directory changed are checked.
 */
export interface PassHooks {
  tracker?: ChangeTracker;
  /** Every how many intervals the live log of each unchanged container is stat'ed anyway. Default 6. */
  verifyEvery?: number;
  /** Every how many intervals the manager's full pass checks every container. Default 30. */
  fullPassEvery?: number;
  /**
   * Lists containers in a quick pass only when `discovery` saw a change, and every `listEvery`
   * intervals as a safety net (a container stopping leaves no trace in the log directories). Without
   * it, every quick pass lists.
   */
  discovery?: ContainerDiscovery;
  /** Every how many intervals a quick pass lists containers although `discovery` saw nothing. Default 30. */
  listEvery?: number;
  /** The latest container list the runtime returned to anyone (the full pass lists through the manager). */
  lastListed?(): readonly ContainerInfo[] | undefined;
}

/** Options of `new PassScheduler()`: the manager whose passes it runs, every `monitorInterval`. */
export interface PassSchedulerOptions extends PassHooks {
  manager: ContainerLogManager;
}

/**
 * Runs the manager's periodic passes (`manager.start()`; the one scheduler of passes, for the library
 * and the daemon alike). Quick passes are reported as the manager's `quick-pass` event, full ones as
 * `pass`; a quick pass that cannot list containers emits `runtime-error`. Every interval the containers are listed when the log roots changed (or
 * always, without a `discovery`; so new containers are found and watched within one interval), and
 * every `listEvery` intervals regardless; each running one is checked unless the kernel vouches that nothing
 * happened in its log directory since its last check (an inotify watch without events). Because inotify
 * drops events silently when its queue overflows, every `verifyEvery` intervals the live log of each
 * such container is stat'ed and checked if its size moved; and every `fullPassEvery` intervals, after a
 * failed list, and always when there are no watches, the manager's full pass checks every container
 * (tidying, retrying failed compressions). On an idle node this skips nearly all file system work.
 */
export class PassScheduler {
  readonly #o: Required<Omit<PassSchedulerOptions, 'tracker' | 'discovery' | 'lastListed'>> &
    Pick<PassSchedulerOptions, 'tracker' | 'discovery' | 'lastListed'>;
  #timer: TimerHandle | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #ticks = 0;
  #lastOk = false;
  /** A container disappeared since the last full pass (the full pass prunes what the manager tracks). */
  #removed = false;
  /** The container list `#remember` last followed. */
  #rememberedList: readonly ContainerInfo[] | undefined;
  readonly #last = new Map<string, ContainerReport>();
  /** The report of each container last reported as skipped (not running), handed out again. */
  readonly #skipped = new Map<string, ContainerReport>();
  /** Per container, its `quietStamp` just before a quiet full check (see `#checkedAgain`). */
  readonly #quiet = new Map<string, string>();
  /** The options the quiet states were found under. */
  #quietUnder: NormalizedOptions | undefined;

  constructor(options: PassSchedulerOptions) {
    this.#o = { verifyEvery: 6, fullPassEvery: 30, listEvery: 30, ...options };
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
    if (this.#timer !== undefined) this.#o.manager.options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** The next pass in `ms`; the interval is read anew each time, so a live reload changes it. */
  #arm(ms: number): void {
    const { manager } = this.#o;
    this.#timer = manager.options.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#tick().finally(() => {
        this.#running = undefined;
        if (!this.#stopped) this.#arm(manager.options.monitorIntervalMs);
      });
    }, ms);
  }

  async #tick(): Promise<void> {
    try {
      const n = this.#ticks++;
      const slice = n % this.#o.fullPassEvery;
      // With a discovery, the full pass's per-container work is spread over the quick passes (one slice
      // each), so that no minute costs much more than another; the manager's full pass itself then only
      // runs at start, after a failed list, and at most every fullPassEvery intervals after a removal.
      const full =
        !this.#o.tracker ||
        !this.#lastOk ||
        n === 0 ||
        (slice === 0 && (!this.#o.discovery || this.#removed));
      if (full) await this.#full();
      else {
        await this.#quick(
          n % this.#o.verifyEvery,
          n % this.#o.listEvery === 0,
          this.#o.discovery ? slice : -1,
        );
        // A disk filled by others than the managed containers changes no log directory.
        await this.#o.manager.checkDiskPressure();
      }
    } catch (err) {
      this.#o.manager.emit('task-error', {
        task: 'pass',
        error: new Error('rotation pass failed', { cause: err }),
      });
    }
  }

  async #full(): Promise<void> {
    this.#removed = false;
    const snapshot = this.#o.tracker?.snapshot();
    const report = await this.#o.manager.rotateOnce();
    this.#lastOk = !report.error;
    if (report.error) return;
    this.#remember(report.containers, undefined);
    if (snapshot) this.#o.tracker?.markChecked(snapshot);
  }

  /**
   * `slice` >= 0: also fully check the containers in that slice of the cycle, as a full pass would.
   * `verifySlice`: the live logs of the unchanged containers in that slice of `verifyEvery` are stat'ed.
   * Spread so, each log is still stat'ed once every `verifyEvery` intervals, but no pass stats them all
   * at once: a thousand stats in flight together outlived the young generation and cost a full garbage
   * collection each time.
   */
  async #quick(verifySlice: number, listAnyway: boolean, slice: number): Promise<void> {
    const started = performance.now();
    const startedAt = new Date();
    const snapshot = this.#o.tracker!.snapshot();
    // Asked first, so that a change seen while listing is news for the next pass.
    const changed = this.#o.discovery?.takeChanges() ?? true;
    const known = this.#o.lastListed?.();
    let list: readonly ContainerInfo[];
    try {
      list = changed || listAnyway || !known ? await this.#o.manager.options.runtime.listContainers() : known;
    } catch (error) {
      this.#lastOk = false;
      const err = new Error('failed to list containers', { cause: error });
      this.#o.manager.emit('runtime-error', { method: 'listContainers', error: error as Error });
      const report = { startedAt, durationMs: performance.now() - started, containers: [], error: err };
      this.#o.manager.emit('quick-pass', { report, reused: new Set() });
      return;
    }
    const reused = new Set<ContainerReport>();
    // Synchronous for the unchanged majority, allocating next to nothing for them: on an idle node this
    // loop is most of a quick pass, and garbage per pass is what its cost grows with.
    const reports: ContainerReport[] = new Array<ContainerReport>(list.length);
    const pending: Promise<void>[] = [];
    const fs = this.#o.manager.options.fs;
    const check = (i: number, report: Promise<ContainerReport>) =>
      pending.push(report.then((r) => void (reports[i] = r)));
    const reuse = (i: number, last: ContainerReport) => {
      reused.add(last);
      reports[i] = last;
    };
    for (let i = 0; i < list.length; i++) {
      const container = list[i]!;
      const last = container.state === 'running' ? this.#last.get(container.id) : undefined;
      const hash = hashOf(container.id);
      if (slice >= 0 && hash % this.#o.fullPassEvery === slice)
        check(i, last ? this.#checkedAgain(last, reused) : this.#o.manager.checkContainer(container.id));
      else if (container.state !== 'running') {
        // A stopped container's report is the same every pass; a fresh one would make no pass unchanged.
        const before = this.#skipped.get(container.id);
        if (before) reuse(i, before);
        else reports[i] = { id: container.id, action: 'skipped' };
      } else if (last && !this.#o.tracker!.needsCheck(container.id)) {
        if (hash % this.#o.verifyEvery !== verifySlice) reuse(i, last);
        else if (!fs.lstatSync) check(i, this.#verified(last, reused));
        // Most verified logs are as they were: looked at synchronously, they cost no promise at all.
        else if (fs.lstatSync(last.logPath!)?.size === last.size) reuse(i, last);
        else check(i, this.#o.manager.checkContainer(container.id));
      } else check(i, this.#o.manager.checkContainer(container.id));
    }
    if (pending.length > 0) await Promise.all(pending);
    const unchanged = sameContainers(list, this.#rememberedList) && reused.size === list.length;
    this.#remember(reports, list);
    this.#o.tracker!.markChecked(snapshot);
    const report = { startedAt, durationMs: performance.now() - started, containers: reports };
    this.#o.manager.emit('quick-pass', { report, reused, unchanged });
  }

  /**
   * A full check of a container with a last report; that report again when the check found everything
   * as it was, so that a pass whose checks changed nothing is reported as unchanged.
   *
   * A container whose last full check was quiet (nothing done, nothing scheduled, no rule that time
   * alone makes due) and whose log directory and live log are still as they were just before that check
   * (`quietStamp`) is not checked again: every decision of the check depends only on those, so it would
   * find the same nothing. Looking costs two synchronous `lstat`s instead of a check's five asynchronous
   * calls, which on an idle node were most of a pass. New options (a live reload) forget every quiet
   * state.
   */
  async #checkedAgain(last: ContainerReport, reused: Set<ContainerReport>): Promise<ContainerReport> {
    const { options } = this.#o.manager;
    if (options !== this.#quietUnder) {
      this.#quiet.clear();
      this.#quietUnder = options;
    }
    // Taken before the check: a change while it runs makes the next look differ, never the other way.
    const before = quietStamp(options.fs, last.logPath!, options.clock.now().getTime());
    if (before !== undefined && this.#quiet.get(last.id) === before) {
      reused.add(last);
      return last;
    }
    const r = await this.#o.manager.checkContainer(last.id);
    const same =
      r.action === 'none' &&
      r.state === 'running' &&
      r.logPath === last.logPath &&
      r.limit === last.limit &&
      r.size === last.size &&
      !r.removed?.length &&
      !r.compressed?.length &&
      r.retryInMs === undefined;
    // `compressed` is set as soon as a compression was scheduled, before it finishes.
    if (same && before !== undefined && r.compressed === undefined && !r.timeBound)
      this.#quiet.set(last.id, before);
    else this.#quiet.delete(last.id);
    if (!same) return r;
    reused.add(last);
    return last;
  }

  /** The last report if the live log is as it was left, else a fresh check. */
  async #verified(last: ContainerReport, reused: Set<ContainerReport>): Promise<ContainerReport> {
    if (await this.#moved(last)) return this.#o.manager.checkContainer(last.id);
    reused.add(last);
    return last;
  }

  /** True when the live log is not as the last check left it (a write or rename whose event was lost). */
  async #moved(last: ContainerReport): Promise<boolean> {
    try {
      return (await this.#o.manager.options.fs.lstat(last.logPath!)).size !== last.size;
    } catch {
      return true;
    }
  }

  /**
   * Keeps each container's last report, as it stands now (a rotation is not repeated when reused).
   * `list` is the container list the reports follow: when it holds the previous pass's entries, no
   * container can have disappeared, and a pass that changed nothing costs no work here.
   */
  #remember(reports: readonly ContainerReport[], list: readonly ContainerInfo[] | undefined): void {
    let changed = false;
    for (const report of reports) {
      if (report.action === 'skipped') this.#skipped.set(report.id, report);
      else if (this.#skipped.size !== 0) this.#skipped.delete(report.id);
      if (this.#last.get(report.id) === report) continue;
      if (report.action === 'failed' || report.action === 'skipped' || report.logPath === undefined) {
        this.#quiet.delete(report.id);
        if (this.#last.delete(report.id)) changed = true;
        continue;
      }
      changed = true;
      this.#last.set(report.id, {
        id: report.id,
        logPath: report.logPath,
        action: 'none',
        ...(report.limit !== undefined ? { limit: report.limit } : {}),
        size: report.action === 'rotated' ? 0 : (report.size ?? 0),
      });
    }
    if (list === undefined || !sameContainers(list, this.#rememberedList)) {
      changed = true;
      const seen = new Set<string>();
      for (const r of reports) seen.add(r.id);
      for (const id of this.#last.keys())
        if (!seen.has(id)) {
          this.#last.delete(id);
          this.#quiet.delete(id);
          this.#removed = true;
        }
      for (const id of this.#skipped.keys()) if (!seen.has(id)) this.#skipped.delete(id);
    }
    this.#rememberedList = list;
    if (changed && this.#o.discovery) {
      const logs = new Set<string>();
      for (const r of this.#last.values()) logs.add(r.logPath!);
      this.#o.discovery.setKnownLogs(logs);
    }
  }
}

/** A stable spread of the ids: modulo a cycle's length, which quick pass of the cycle handles `id`. */
function hashOf(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) | 0;
  return h >>> 0;
}
