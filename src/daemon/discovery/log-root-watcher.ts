import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { silentLogger, type Logger } from '../../ports/logger.js';
import type { WatchFn } from '../trigger/log-trigger.js';

/** Options of `new LogRootWatcher()`. */
export interface LogRootWatcherOptions {
  /** The log roots (`/var/log/pods`): pod directories, container directories, `<n>.log` files. */
  roots: readonly string[];
  watch?: WatchFn;
  /** Names of the subdirectories of `dir` (none when it cannot be read). */
  subdirs?(dir: string): Promise<string[]>;
  /** Whether `p` is a directory (false when it is gone), not following symlinks. */
  isDirectory?(p: string): Promise<boolean>;
  logger?: Logger;
}

/** Live logs as the kubelet names them inside a container directory: the restart count, `.log`. */
const LIVE_LOG = /^\d+\.log$/;

const defaultWatch: WatchFn = (dir, listener) =>
  fsWatch(dir, { persistent: false }, (event, filename) => listener(event, filename));

async function defaultSubdirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

async function defaultIsDirectory(p: string): Promise<boolean> {
  try {
    return (await lstat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Tells the pass scheduler when the set of containers may have changed, so that it lists containers
 * over CRI only then (and on a slow safety-net schedule) instead of every interval. It watches each
 * log root, each pod directory in it and each container directory in those (`<root>/<pod>/<container>/`,
 * the kubelet's layout): a pod or container directory appearing or going, or a live log `<n>.log` being
 * created (a container starting or restarting) counts as a change. Writes, and crilog's own work on
 * the logs it manages (renames, compressions, the reopen re-creating a live log), do not. When a root cannot be watched the watcher is not `healthy`
 * and the scheduler lists every interval as before.
 */
export class LogRootWatcher {
  readonly #o: Required<LogRootWatcherOptions>;
  readonly #watches = new Map<string, Pick<FSWatcher, 'close' | 'on'>>();
  #changes = 0;
  #taken = 0;
  #healthy = true;
  #closed = false;
  /** Live logs the scheduler manages: their creation (a reopen after rotation) is no news. */
  #known: ReadonlySet<string> = new Set();

  constructor(options: LogRootWatcherOptions) {
    this.#o = {
      watch: defaultWatch,
      subdirs: defaultSubdirs,
      isDirectory: defaultIsDirectory,
      logger: silentLogger,
      ...options,
    };
  }

  /** False when a root or one of its directories could not be watched: changes may go unseen. */
  get healthy(): boolean {
    return this.#healthy && !this.#closed;
  }

  /** Directories watched now. */
  get watchedDirectories(): number {
    return this.#watches.size;
  }

  /** Starts watching every root and the pod and container directories already in them. */
  async start(): Promise<void> {
    await Promise.all(this.#o.roots.map((root) => this.#add(root, 0)));
  }

  /** The live logs of the managed containers (paths as the runtime reports them). */
  setKnownLogs(paths: ReadonlySet<string>): void {
    this.#known = paths;
  }

  /** True once if anything changed since the last call (or the watcher is unhealthy). */
  takeChanges(): boolean {
    const changed = this.#changes !== this.#taken;
    this.#taken = this.#changes;
    return changed || !this.healthy;
  }

  /** Ends every watch. */
  close(): void {
    this.#closed = true;
    for (const w of this.#watches.values()) w.close();
    this.#watches.clear();
  }

  /** Watches `dir` at `depth` (0 root, 1 pod, 2 container) and, above containers, its subdirectories. */
  async #add(dir: string, depth: number): Promise<void> {
    if (this.#closed || this.#watches.has(dir)) return;
    try {
      const watcher = this.#o.watch(dir, (event, filename) => this.#onEvent(dir, depth, event, filename));
      watcher.on('error', (err: Error) => this.#failed(dir, err));
      this.#watches.set(dir, watcher);
    } catch (err) {
      // A pod directory removed meanwhile is no failure; a root that cannot be watched is.
      if (depth === 0) this.#failed(dir, err as Error);
      return;
    }
    if (depth < 2) {
      const names = await this.#o.subdirs(dir);
      await Promise.all(names.map((name) => this.#add(path.join(dir, name), depth + 1)));
    }
  }

  #failed(dir: string, err: Error): void {
    if (this.#healthy)
      this.#o.logger.warn(
        { dir, err },
        'cannot watch a log directory for new containers; listing containers every interval instead',
      );
    this.#healthy = false;
    this.#watches.get(dir)?.close();
    this.#watches.delete(dir);
  }

  #onEvent(dir: string, depth: number, event: string, filename: string | null): void {
    if (this.#closed) return;
    if (filename === null) {
      this.#changes++;
      return;
    }
    // Writes and attribute changes ("change") never add or remove a container; only names coming and
    // going ("rename") can. A busy log's writes must cost nothing here.
    if (event !== 'rename') return;
    const name = String(filename);
    const child = path.join(dir, name);
    // crilog's own work on a managed log: its rotation, compression, re-creation by the reopen.
    const base = name.indexOf('.log.');
    if (this.#known.has(base >= 0 ? path.join(dir, name.slice(0, base + 4)) : child)) return;
    if (depth === 2 && !LIVE_LOG.test(name)) return;
    this.#changes++;
    if (depth === 2) return;
    // A pod or container directory came or went (or was replaced: a new inode needs a new watch).
    this.#drop(child);
    void this.#o.isDirectory(child).then((isDir) => {
      if (isDir) return this.#add(child, depth + 1);
    });
  }

  /** Forgets the watches of `dir` and below (it was removed or replaced; `#add` re-creates if it exists). */
  #drop(dir: string): void {
    const prefix = dir + path.sep;
    for (const [d, w] of this.#watches)
      if (d === dir || d.startsWith(prefix)) {
        w.close();
        this.#watches.delete(d);
      }
  }
}
