import { errnoCode, type FileSystem } from '../ports/file-system.js';
import { listLogFiles, type RotatedFile } from '../rotation/log-files.js';
import type { KeyedMutex } from '../util/limiter.js';
import type { CompressionQueue } from './compression-queue.js';
import { removeRotated } from './remove-rotated.js';
import type { BudgetEvent } from './types.js';

interface Usage {
  logPath: string;
  bytes: number;
}

/**
 * A byte budget for all managed logs of a node. Checks keep a cheap running estimate; only when the
 * estimate is over the limit are the files listed again and the oldest rotated files of the biggest
 * users deleted, one at a time, until the node is under budget. Live logs are never deleted.
 */
export class NodeBudget {
  readonly #usage = new Map<string, Usage>();
  #enforcing: Promise<string[]> | null = null;

  constructor(
    readonly limit: number,
    private readonly deps: {
      fs: FileSystem;
      mutex: KeyedMutex;
      compressions: CompressionQueue;
      emit: (e: BudgetEvent) => void;
      /** Files within the shippers' grace period (`minRotatedAge`) are never budget victims. */
      young?: () => (file: RotatedFile) => boolean;
    },
  ) {}

  /** Records what one container's logs use, as its latest check saw. */
  record(id: string, logPath: string, bytes: number): void {
    this.#usage.set(id, { logPath, bytes });
  }

  /** Drops containers the runtime no longer lists. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.#usage.keys()) if (!ids.has(id)) this.#usage.delete(id);
  }

  /** The current estimate of bytes used. */
  get used(): number {
    let sum = 0;
    for (const u of this.#usage.values()) sum += u.bytes;
    return sum;
  }

  /** Brings usage under the limit if the estimate says it is over; concurrent calls share one run. */
  enforce(): Promise<string[]> {
    if (this.used <= this.limit) return Promise.resolve([]);
    this.#enforcing ??= this.#enforce().finally(() => (this.#enforcing = null));
    return this.#enforcing;
  }

  async #enforce(): Promise<string[]> {
    const state = new Map<string, { logPath: string; live: number; rotated: RotatedFile[] }>();
    for (const [id, { logPath }] of this.#usage) state.set(id, await this.#measure(logPath));
    const total = (s: { live: number; rotated: RotatedFile[] }) =>
      s.live + s.rotated.reduce((n, r) => n + r.size, 0);
    let used = [...state.values()].reduce((n, s) => n + total(s), 0);
    const removed: string[] = [];
    const young = this.deps.young?.() ?? (() => false);
    const deletable = (s: { rotated: RotatedFile[] }) => s.rotated.findIndex((r) => !young(r));
    while (used > this.limit) {
      const victim = [...state.entries()]
        .filter(([, s]) => deletable(s) >= 0)
        .sort((a, b) => total(b[1]) - total(a[1]))[0];
      if (!victim) break; // only live logs (and files in their grace period) left: nothing crilog may delete
      const [id, s] = victim;
      const oldest = s.rotated.splice(deletable(s), 1)[0]!;
      await this.deps.mutex.run(id, async () => {
        await this.deps.compressions.cancel(oldest.path);
        removed.push(...(await removeRotated(this.deps.fs, [oldest.path])));
      });
      used -= oldest.size;
      this.#usage.set(id, { logPath: s.logPath, bytes: total(s) });
    }
    this.deps.emit({ limitBytes: this.limit, usedBytes: used, removed });
    return removed;
  }

  async #measure(logPath: string): Promise<{ logPath: string; live: number; rotated: RotatedFile[] }> {
    const set = await listLogFiles(logPath, this.deps.fs);
    try {
      return { logPath, live: (await this.deps.fs.lstat(logPath)).size, rotated: set.rotated };
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    // No live log: a rotation's reopen has not happened yet, so the runtime may still be writing to the
    // newest rotated file. It counts as live and is never a deletion candidate.
    const newest = set.rotated.at(-1);
    return { logPath, live: newest?.size ?? 0, rotated: set.rotated.slice(0, -1) };
  }
}
