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

/** What the budget gets back from rotating one container's live log ahead of its limit. */
export interface BudgetRotation {
  /** The rotated file, now history the budget may delete. */
  rotatedTo: string;
  bytes: number;
}

interface Measured {
  logPath: string;
  live: number;
  rotated: RotatedFile[];
}

/**
 * A byte budget for all managed logs of a node. Checks keep a cheap running estimate; only when the
 * estimate is over the limit are the files listed again and the budget enforced, so that a runaway
 * writer pays for itself instead of erasing its neighbours' history:
 *
 * 1. while the live logs alone exceed the budget, the largest live logs are rotated (below their own
 *    limit if need be), which turns their bytes into history;
 * 2. then, while over, the container using the most bytes loses its oldest rotated file; a container
 *    whose bytes are all in its live log has that log rotated first.
 *
 * Live logs are never deleted, and each container is rotated at most once per enforcement (the storm
 * guards of a normal rotation apply too).
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
      /** Rotates a running container's live log now, whatever its size; `null` when it was not. */
      rotate?: (id: string) => Promise<BudgetRotation | null>;
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
    const state = new Map<string, Measured>();
    for (const [id, { logPath }] of this.#usage) state.set(id, await this.#measure(logPath));
    const total = (s: Measured) => s.live + s.rotated.reduce((n, r) => n + r.size, 0);
    let used = [...state.values()].reduce((n, s) => n + total(s), 0);
    const removed: string[] = [];
    const young = this.deps.young?.() ?? (() => false);
    const deletable = (s: { rotated: RotatedFile[] }) => s.rotated.findIndex((r) => !young(r));
    const rotated: string[] = [];
    const tried = new Set<string>();
    const rotatable = ([id, s]: [string, Measured]) => s.live > 0 && !tried.has(id) && !!this.deps.rotate;
    const rotateLive = async (id: string, s: Measured) => {
      tried.add(id);
      const r = await this.deps.rotate!(id).catch(() => null);
      if (!r) return;
      rotated.push(r.rotatedTo);
      s.rotated.push({
        path: r.rotatedTo,
        size: r.bytes,
        stamp: '',
        seq: 0,
        codec: null,
        mtimeMs: 0,
        ino: 0,
      });
      s.live = 0; // what the runtime wrote since is small, and counted at the next measurement
    };
    // 1. Live logs alone over the budget: the largest ones become history first.
    const liveSum = () => [...state.values()].reduce((n, s) => n + s.live, 0);
    while (liveSum() > this.limit) {
      const largest = [...state.entries()].filter(rotatable).sort((a, b) => b[1].live - a[1].live)[0];
      if (!largest) break;
      await rotateLive(...largest);
    }
    // 2. The biggest consumer pays first (files in their grace period excepted).
    while (used > this.limit) {
      const victim = [...state.entries()]
        .filter((e) => deletable(e[1]) >= 0 || rotatable(e))
        .sort((a, b) => total(b[1]) - total(a[1]))[0];
      if (!victim) break; // only live logs (and files in their grace period) left: nothing crilog may delete
      const [id, files] = victim;
      if (deletable(files) < 0) {
        await rotateLive(id, files);
        continue;
      }
      const oldest = files.rotated.splice(deletable(files), 1)[0]!;
      await this.deps.mutex.run(id, async () => {
        await this.deps.compressions.cancel(oldest.path);
        removed.push(...(await removeRotated(this.deps.fs, [oldest.path])));
      });
      used -= oldest.size;
      this.#usage.set(id, { logPath: files.logPath, bytes: total(files) });
    }
    this.deps.emit({ limitBytes: this.limit, usedBytes: used, removed, rotated });
    return removed;
  }

  async #measure(logPath: string): Promise<Measured> {
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
