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

/**
 * Bytes on disk under management, kept cheap on an idle node: live sizes come from the pass reports
 * (the pass stats them anyway), and a container's rotated files are only listed again after crilog
 * changed them (a rotation or compression) or after `maxAgeMs`, and only when someone asks (a scrape).
 */
export class DiskUsage {
  readonly #entries = new Map<string, Entry>();
  readonly #limiter = new Limiter(8);

  constructor(
    private readonly fs: FileSystem = nodeFileSystem,
    private readonly maxAgeMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

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
    for (const e of this.#entries.values()) {
      if (e.rotated === undefined) due.push(e);
      else if (now - e.listedAt > this.maxAgeMs) aged.push(e);
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
