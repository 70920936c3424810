import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerReport } from '../../manager/types.js';
import { silentLogger, type Logger } from '../../ports/logger.js';
import type { ChangeSnapshot, ChangeTracker } from '../../manager/pass-scheduler.js';
import { RateEstimator } from './rate-estimator.js';

/** A running container's live log, as the last pass reported it. */
export interface TriggerTarget {
  id: string;
  logPath: string;
  /** Bytes at which the manager rotates it. */
  limit: number;
}

/** How a directory is watched; `fs.watch` by default (inotify on Linux). */
export type WatchFn = (
  dir: string,
  listener: (event: string, filename: string | null) => void,
) => Pick<FSWatcher, 'close' | 'on'>;

/** Options of `new LogTrigger()`. */
export interface LogTriggerOptions {
  /** Rotates a container if it reached its limit: the manager's `checkContainer`. */
  check(id: string): Promise<ContainerReport>;
  watch?: WatchFn;
  /** Size of a file, not following symlinks. */
  size?(file: string): Promise<number>;
  /**
   * Least time between two stats of one log while it is being written, until the log is within a
   * quarter of its limit; from there every write event is followed at once. Default 20 ms.
   */
  throttleMs?: number;
  /** Bounds of the rate-based schedule used where a directory cannot be watched. Default 10 ms to 2 s. */
  poll?: { minMs: number; maxMs: number };
  /** Wait after a failed check before trying again, doubling up to 30 s. Default 500 ms. */
  failureBackoffMs?: number;
  logger?: Logger;
  /** Told every live size the trigger sees (metrics). */
  onSize?(id: string, size: number, limit: number): void;
  /** Told every check the trigger ran. */
  onCheck?(source: 'watch' | 'poll', report: ContainerReport): void;
  /**
   * Told when a name of a watched container's rotations (`<live log>.*`) changed in its directory, by
   * crilog or by anyone else: what its rotated files hold on disk may have changed (metrics).
   */
  onRotatedChange?(id: string): void;
}

interface Entry {
  target: TriggerTarget;
  dir: string;
  name: string;
  mode: 'watch' | 'poll';
  timer: NodeJS.Timeout | undefined;
  busy: boolean;
  dirty: boolean;
  lastStatAt: number;
  holdUntil: number;
  backoffMs: number;
  rate: RateEstimator;
  /** Size at the last stat. */
  lastSize: number;
  /** Error code of the last failed stat, so a lasting failure is logged once, not at every write. */
  statError: string | undefined;
  closed: boolean;
  /** Events seen in the directory, and how many of them a pass has covered. */
  changes: number;
  checked: number;
}

interface DirWatch {
  watcher: Pick<FSWatcher, 'close' | 'on'> | undefined;
  entries: Map<string, Entry>;
}

const defaultWatch: WatchFn = (dir, listener) =>
  fsWatch(dir, { persistent: false }, (event, filename) => listener(event, filename));
const defaultSize = async (file: string) => (await lstat(file)).size;

/**
 * Rotates fast writers near their limit instead of on the next periodic pass. Each managed log's
 * directory is watched (one inotify watch per directory, no timers): a write to the live log leads to a
 * throttled `lstat`, and to the manager's check once the size reached the limit. An idle node therefore
 * costs nothing between passes. Where a directory cannot be watched (inotify limits, filesystems
 * without change events) the log is instead stat'ed on a schedule derived from its observed write rate.
 */
export class LogTrigger implements ChangeTracker {
  readonly #opts: Required<Omit<LogTriggerOptions, 'onSize' | 'onCheck' | 'onRotatedChange'>> &
    Pick<LogTriggerOptions, 'onSize' | 'onCheck' | 'onRotatedChange'>;
  readonly #dirs = new Map<string, DirWatch>();
  readonly #byId = new Map<string, Entry>();
  #closed = false;

  constructor(options: LogTriggerOptions) {
    this.#opts = {
      watch: defaultWatch,
      size: defaultSize,
      throttleMs: 20,
      poll: { minMs: 10, maxMs: 2000 },
      failureBackoffMs: 500,
      logger: silentLogger,
      ...options,
    };
  }

  /** Directories watched now. */
  get watchedDirectories(): number {
    let n = 0;
    for (const d of this.#dirs.values()) if (d.watcher) n++;
    return n;
  }

  /** Whether a container's directory is watched now (its changes are seen as they happen). */
  watches(id: string): boolean {
    const entry = this.#byId.get(id);
    return entry !== undefined && entry.mode === 'watch' && this.#dirs.get(entry.dir)?.watcher !== undefined;
  }

  /** Containers on the rate-based schedule. */
  get polledContainers(): number {
    let n = 0;
    for (const e of this.#byId.values()) if (e.mode === 'poll') n++;
    return n;
  }

  /** Sets the logs to follow (after each pass): new ones are watched, gone ones released. */
  update(targets: readonly TriggerTarget[]): void {
    if (this.#closed) return;
    const wanted = new Map(targets.map((t) => [t.id, t]));
    for (const [id, entry] of this.#byId) {
      const t = wanted.get(id);
      if (!t || t.logPath !== entry.target.logPath) this.#remove(entry);
      else entry.target = t;
    }
    for (const t of wanted.values()) if (!this.#byId.has(t.id)) this.#add(t);
  }

  /** Stops every watch and timer; checks in flight finish on their own. */
  close(): void {
    this.#closed = true;
    for (const entry of [...this.#byId.values()]) this.#remove(entry);
  }

  #add(target: TriggerTarget): void {
    const dir = path.dirname(target.logPath);
    const entry: Entry = {
      target,
      dir,
      name: path.basename(target.logPath),
      mode: 'watch',
      timer: undefined,
      busy: false,
      dirty: false,
      lastStatAt: -Infinity,
      holdUntil: 0,
      backoffMs: this.#opts.failureBackoffMs,
      rate: new RateEstimator(),
      lastSize: 0,
      statError: undefined,
      closed: false,
      // Writes between the pass that found the log and the start of the watch went unseen: one more check.
      changes: 1,
      checked: 0,
    };
    this.#byId.set(target.id, entry);
    let dw = this.#dirs.get(dir);
    if (!dw) {
      dw = { watcher: this.#watchDir(dir), entries: new Map() };
      this.#dirs.set(dir, dw);
    }
    dw.entries.set(entry.name, entry);
    if (!dw.watcher) {
      entry.mode = 'poll';
      this.#schedule(entry, 0);
    } else {
      // Changes before the watch began went unseen too.
      this.#opts.onRotatedChange?.(target.id);
    }
  }

  #watchDir(dir: string): DirWatch['watcher'] {
    try {
      const watcher = this.#opts.watch(dir, (_event, filename) => this.#onEvent(dir, filename));
      watcher.on('error', (err: Error) => this.#watchFailed(dir, err));
      return watcher;
    } catch (err) {
      this.#opts.logger.warn(
        { dir, err },
        'cannot watch log directory; checking its logs on a schedule from their write rate instead',
      );
      return undefined;
    }
  }

  #watchFailed(dir: string, err: Error): void {
    const dw = this.#dirs.get(dir);
    if (!dw?.watcher) return;
    dw.watcher.close();
    dw.watcher = undefined;
    this.#opts.logger.warn(
      { dir, err },
      'watch of log directory failed; checking its logs on a schedule instead',
    );
    for (const entry of dw.entries.values()) {
      entry.mode = 'poll';
      this.#schedule(entry, 0);
    }
  }

  #remove(entry: Entry): void {
    entry.closed = true;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    this.#byId.delete(entry.target.id);
    const dw = this.#dirs.get(entry.dir);
    if (!dw) return;
    if (dw.entries.get(entry.name) === entry) dw.entries.delete(entry.name);
    if (dw.entries.size === 0) {
      dw.watcher?.close();
      this.#dirs.delete(entry.dir);
    }
  }

  /** @inheritdoc */
  snapshot(): ChangeSnapshot {
    // Only entries with unchecked changes: marking the others would change nothing, and on an idle node
    // this keeps a pass from copying every entry.
    const snap = new Map<object, number>();
    for (const entry of this.#byId.values())
      if (entry.changes !== entry.checked) snap.set(entry, entry.changes);
    return snap;
  }

  /** @inheritdoc */
  markChecked(snapshot: ChangeSnapshot): void {
    for (const [entry, changes] of snapshot)
      (entry as Entry).checked = Math.max((entry as Entry).checked, changes);
  }

  /** @inheritdoc */
  needsCheck(id: string): boolean {
    const entry = this.#byId.get(id);
    if (!entry || entry.mode !== 'watch' || !this.#dirs.get(entry.dir)?.watcher) return true;
    return entry.changes !== entry.checked;
  }

  #onEvent(dir: string, filename: string | null): void {
    const dw = this.#dirs.get(dir);
    if (!dw) return;
    // Anything in the directory (a deleted rotation, a leftover .tmp) is a reason for the next pass to look.
    for (const entry of dw.entries.values()) {
      entry.changes++;
      // Without a name (the kernel dropped it) any of them may have changed.
      if (filename === null || (filename !== entry.name && filename.startsWith(`${entry.name}.`)))
        this.#opts.onRotatedChange?.(entry.target.id);
    }
    if (filename === null) {
      for (const entry of dw.entries.values()) this.#poke(entry);
      return;
    }
    const entry = dw.entries.get(String(filename));
    if (entry) this.#poke(entry);
  }

  /** A write happened: stat now, or at the end of the throttle window; never two at once. */
  #poke(entry: Entry): void {
    if (entry.closed || entry.mode !== 'watch') return;
    if (entry.busy) {
      entry.dirty = true;
      return;
    }
    if (entry.timer) return;
    const now = performance.now();
    // Close to the limit a few milliseconds of delay are a few hundred kilobytes of overshoot.
    const { limit } = entry.target;
    const throttle = limit > 0 && entry.lastSize >= limit * 0.75 ? 0 : this.#opts.throttleMs;
    const wait = Math.max(entry.lastStatAt + throttle, entry.holdUntil) - now;
    if (wait <= 0) void this.#run(entry);
    else this.#schedule(entry, wait);
  }

  #schedule(entry: Entry, ms: number): void {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      void this.#run(entry);
    }, ms);
    // A pending check must never keep a stopping process alive.
    entry.timer.unref();
  }

  async #run(entry: Entry): Promise<void> {
    if (entry.closed || this.#closed) return;
    entry.busy = true;
    entry.dirty = false;
    const started = performance.now();
    entry.lastStatAt = started;
    const { id, logPath, limit } = entry.target;
    let size: number | undefined;
    try {
      size = await this.#opts.size(logPath);
      entry.statError = undefined;
    } catch (err) {
      // Missing between a rename and the reopen, or gone: the pass deals with it. Anything else (EMFILE
      // while the metrics port is flooded, EACCES) stops rotation of this log: say so, once per cause.
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      if (code !== 'ENOENT' && entry.statError !== code) {
        entry.statError = code;
        this.#opts.logger.warn(
          { id, path: logPath, err },
          'cannot stat live log; rotation waits for the next pass',
        );
      }
    }
    try {
      if (size !== undefined) {
        entry.rate.sample(size, started);
        entry.lastSize = size;
        this.#opts.onSize?.(id, size, limit);
        // An empty log is never rotated (a limit of 0 would otherwise turn crilog's own reopen into the
        // next rotation), so its events (crilog's rename and reopen among them) need no check.
        if (
          limit >= 0 &&
          size > 0 &&
          size >= limit &&
          performance.now() >= entry.holdUntil &&
          !entry.closed &&
          !this.#closed
        ) {
          const report = await this.#opts.check(id);
          this.#opts.onCheck?.(entry.mode, report);
          if (report.action === 'failed') {
            // Do not hammer a runtime that cannot reopen: back off, the writer keeps writing meanwhile.
            entry.holdUntil = performance.now() + entry.backoffMs;
            entry.backoffMs = Math.min(entry.backoffMs * 2, 30_000);
            // The failure itself is logged once, from the manager's `container-error` event.
            this.#opts.logger.debug(
              { id, path: logPath, retryInMs: entry.backoffMs },
              'triggered check failed; backing off',
            );
          } else {
            entry.backoffMs = this.#opts.failureBackoffMs;
          }
          if (report.retryInMs !== undefined) {
            // Held back by the rotation rate limit: look again when it allows, even without a new write.
            entry.holdUntil = performance.now() + report.retryInMs;
            entry.dirty = true;
          }
          if (report.action === 'rotated') size = entry.lastSize = 0;
        }
      }
    } catch (err) {
      this.#opts.logger.warn({ id, path: logPath, err }, 'triggered check failed');
    } finally {
      entry.busy = false;
    }
    if (entry.closed || this.#closed) return;
    if (entry.mode === 'poll') {
      const delay = entry.rate.nextDelay(size ?? 0, limit, this.#opts.poll);
      this.#schedule(entry, Math.max(delay, entry.holdUntil - performance.now()));
    } else if (entry.dirty) {
      this.#poke(entry);
    }
    // #poke schedules the re-check at holdUntil when the rate limit held this one back.
  }
}
