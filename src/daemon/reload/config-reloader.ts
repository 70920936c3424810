import { createHash } from 'node:crypto';
import { watch as fsWatch, promises as fsp, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { DaemonConfig } from '../../settings/index.js';
import type { Logger } from '../../ports/logger.js';

/**
 * Settings that cannot change while the daemon runs: the process is bound to them (a listening
 * socket, a runtime connection, a lock, thread pools, running processes, the roots it guards).
 */
export const FIXED_SETTINGS = [
  'runtime',
  'runtimeEndpoint',
  'logRoots',
  'lockFile',
  'metricsAddress',
  'workers',
  'compressionNice',
  'gzipEngine',
  'containers',
] as const satisfies readonly (keyof DaemonConfig)[];

/** What started a reload. */
export type ReloadTrigger = 'SIGHUP' | 'file change';

/** Result of one reload attempt. */
export interface ReloadResult {
  outcome: 'success' | 'rejected';
  trigger: ReloadTrigger;
  /** Keys whose values changed (applied on success). */
  changed: string[];
  /** Why a reload was rejected: the usual validation message, or the fixed settings named. */
  error?: string;
}

/** Options of `new ConfigReloader()`. */
export interface ConfigReloaderOptions {
  /** The `--config` file; without one only SIGHUP reloads (flags and defaults cannot change). */
  file: string | undefined;
  /** Reads the file again and merges the flags the daemon was started with. Throws on bad config. */
  load(): Promise<DaemonConfig>;
  current(): DaemonConfig;
  /** Applies a validated configuration from the next check on. */
  apply(next: DaemonConfig): void;
  onResult(result: ReloadResult): void;
  logger: Logger;
  /** Delay after a file event before reading, so a burst of events (a ConfigMap swap) is one reload. */
  settleMs?: number;
  watch?: typeof fsWatch;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Reloads the daemon's configuration on SIGHUP and when the config file changes. A Kubernetes
 * ConfigMap volume updates by swapping a `..data` symlink in the file's directory, which replaces the
 * file without ever writing to it, so the directory is watched, not the file, and a change is decided
 * by the content the path resolves to. Reloads run one at a time; an invalid configuration, or one
 * that changes a setting that cannot change live, is refused and the running one stays.
 */
export class ConfigReloader {
  readonly #o: ConfigReloaderOptions;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #digest: string | undefined;
  #closed = false;

  constructor(options: ConfigReloaderOptions) {
    this.#o = options;
  }

  /** Starts watching the config file's directory (no-op without a file). */
  async start(): Promise<void> {
    const { file } = this.#o;
    if (!file) return;
    this.#digest = await this.#contentDigest();
    try {
      this.#watcher = (this.#o.watch ?? fsWatch)(path.dirname(file), { persistent: false }, () =>
        this.#changed(),
      );
      this.#watcher.on('error', (err) => {
        this.#o.logger.warn({ err, file }, 'cannot watch the config file any more; reload it with SIGHUP');
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch (err) {
      this.#o.logger.warn({ err, file }, 'cannot watch the config file for changes; reload it with SIGHUP');
    }
  }

  /** Reloads now; resolves when this reload (and any before it) is done. */
  reload(trigger: ReloadTrigger): Promise<ReloadResult> {
    const run = this.#chain.then(() => this.#reload(trigger));
    this.#chain = run.catch(() => {});
    return run;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #changed(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      void this.#chain.then(async () => {
        const digest = await this.#contentDigest();
        // Events also come for unrelated files and for swaps that leave the content as it was.
        if (digest === this.#digest || this.#closed) return;
        await this.reload('file change');
      });
    }, this.#o.settleMs ?? 100);
    this.#timer.unref();
  }

  async #contentDigest(): Promise<string | undefined> {
    try {
      return createHash('sha256')
        .update(await fsp.readFile(this.#o.file!))
        .digest('hex');
    } catch {
      return undefined; // mid-swap or removed: the next event or a SIGHUP tells
    }
  }

  async #reload(trigger: ReloadTrigger): Promise<ReloadResult> {
    if (this.#o.file) this.#digest = await this.#contentDigest();
    const current = this.#o.current();
    let result: ReloadResult;
    try {
      const next = await this.#o.load();
      const a = current as unknown as Record<string, unknown>;
      const b = next as unknown as Record<string, unknown>;
      const changed = Object.keys({ ...a, ...b }).filter((k) => !same(a[k], b[k]));
      const fixed = changed.filter((k) => (FIXED_SETTINGS as readonly string[]).includes(k));
      if (fixed.length > 0) {
        result = {
          outcome: 'rejected',
          trigger,
          changed,
          error: `${fixed.join(', ')} cannot change while the daemon runs; restart crilog to change ${fixed.length === 1 ? 'it' : 'them'}`,
        };
      } else {
        this.#o.apply(next);
        result = { outcome: 'success', trigger, changed };
      }
    } catch (err) {
      result = { outcome: 'rejected', trigger, changed: [], error: (err as Error).message };
    }
    this.#o.onResult(result);
    return result;
  }
}
