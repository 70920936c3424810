import { nodeFileSystem, type FileSystem } from '../ports/file-system.js';
import type { PassReport } from '../manager/types.js';
import { listLogFiles } from '../rotation/log-files.js';
import { Limiter } from '../util/limiter.js';

interface Entry {
  logPath: string;
  live: number;
  rotated: number | undefined;
  listedAt: number;
}

/** Options of `new DiskUsage()` beyond its ports. */
export interface DiskUsageOptions {
  /**
   * Whether a container's directory is watched, so that `invalidate` hears of every change to its
   * rotated files as it happens; such containers are listed again only after `watchedMaxAgeMs`.
   */
  watched?: (id: string) => boolean;
  /** Age after which a watched container is listed again anyway (inotify drops events on overflow). */
  watchedMaxAgeMs?: number;
}

/**
 * Bytes on disk under management, kept cheap on an idle node: live sizes come from the pass reports
 * (the pass stats them anyway), and a container's rotated files are only listed again after they
 * changed (crilog's rotations and compressions, anyone's changes seen by the directory watch) or after
 * `maxAgeMs` (`watchedMaxAgeMs` where the watch would have said), and only when someone asks (a scrape).
 */
export class DiskUsage {
  readonly #entries = new Map<string, Entry>();
  readonly #limiter = new Limiter(8);
  readonly #watched: (id: string) => boolean;
  readonly #watchedMaxAgeMs: number;

  constructor(
    private readonly fs: FileSystem = nodeFileSystem,
    private readonly maxAgeMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
    options: DiskUsageOptions = {},
  ) {
    this.#watched = options.watched ?? (() => false);
    // An hour: at 1000 watched containers about 17 listings a minute instead of 200.
    this.#watchedMaxAgeMs = options.watchedMaxAgeMs ?? 60 * 60_000;
  }

  /** Takes the live sizes of one pass and forgets containers it did not manage. */
  observePass(report: PassReport): void {
    if (report.error) return;
    const seen = new Set<string>();
    for (const c of report.containers) {
      if (c.logPath === undefined || c.action === 'skipped' || c.limit === undefined) continue;
      seen.add(c.id);
      let entry = this.#entries.get(c.id);
      if (!entry || entry.logPath !== c.logPath) {
        entry = { logPath: c.logPath, live: 0, rotated: undefined, listedAt: 0 };
        this.#entries.set(c.id, entry);
      }
      // A rotated report carries the size before the rotation; that data is now in a rotated file.
      entry.live = c.action === 'rotated' ? 0 : (c.size ?? entry.live);
      if (c.action === 'rotated' || (c.removed?.length ?? 0) > 0 || (c.compressed?.length ?? 0) > 0)
        entry.rotated = undefined;
    }
    for (const id of this.#entries.keys()) if (!seen.has(id)) this.#entries.delete(id);
  }

  /** Marks a container's rotated files as changed (after a rotation or compression). */
  invalidate(id: string): void {
    const entry = this.#entries.get(id);
    if (entry) entry.rotated = undefined;
  }

  #maxAge(id: string): number {
    return this.#watched(id) ? this.#watchedMaxAgeMs : this.maxAgeMs;
  }

  /** Records a live size seen between passes. */
  observeLive(id: string, size: number): void {
    const entry = this.#entries.get(id);
    if (entry) entry.live = size;
  }

  /**
   * Sum over managed containers; lists only what changed, and a share of what aged: at most a
   * twentieth of the containers per call (oldest first), so that re-listing an idle node's containers
   * is spread over many scrapes instead of costing one scrape every `maxAgeMs` a thousand directory reads.
   */
  async total(): Promise<number> {
    const now = this.now();
    const due: Entry[] = [];
    const aged: Entry[] = [];
    for (const [id, e] of this.#entries) {
      const age = now - e.listedAt;
      if (e.rotated === undefined) due.push(e);
      // The shorter age first: most entries are younger, and need not ask whether they are watched.
      else if (age > this.maxAgeMs && age > this.#maxAge(id)) aged.push(e);
    }
    if (aged.length > 0) {
      aged.sort((a, b) => a.listedAt - b.listedAt);
      due.push(...aged.slice(0, Math.ceil(this.#entries.size / 20)));
    }
    await Promise.all(
      due.map((e) =>
        this.#limiter.run(async () => {
          try {
            const set = await listLogFiles(e.logPath, this.fs);
            e.rotated = set.rotated.reduce((n, r) => n + r.size, 0);
          } catch {
            e.rotated = 0;
          }
          e.listedAt = now;
        }),
      ),
    );
    let sum = 0;
    for (const e of this.#entries.values()) sum += e.live + (e.rotated ?? 0);
    return sum;
  }
}
