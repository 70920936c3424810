import { watch, type FSWatcher } from 'node:fs';
import type { Clock, TimerHandle } from '../ports/clock.js';

/**
 * Wakes a follower when something in the log directory changes, or after `pollMs` at the latest: a
 * directory watch gives low latency, the poll covers filesystems where watching is unreliable (network,
 * overlay) or impossible. A change that arrives while nobody waits is remembered, so none is missed.
 */
export class ChangeWaiter {
  #watcher: FSWatcher | null = null;
  #dirty = false;
  #wake: (() => void) | null = null;

  constructor(
    private readonly dir: string,
    private readonly clock: Clock,
    private readonly pollMs: number,
  ) {}

  /** Starts watching; without a watch (directory gone, no inotify slots) polling alone carries on. */
  start(): void {
    try {
      this.#watcher = watch(this.dir, { persistent: false }, () => this.notify());
      this.#watcher.on('error', () => this.#closeWatcher());
    } catch {
      this.#watcher = null;
    }
  }

  /** Wakes the waiter now (or its next `wait`). */
  notify(): void {
    if (this.#wake) this.#wake();
    else this.#dirty = true;
  }

  /** Resolves on the next change, the poll timeout, or when any of `signals` aborts. */
  wait(signals: readonly (AbortSignal | undefined)[]): Promise<void> {
    if (this.#dirty || signals.some((s) => s?.aborted)) {
      this.#dirty = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      let timer: TimerHandle | undefined = undefined;
      const done = () => {
        this.#wake = null;
        this.clock.clearTimeout(timer);
        for (const s of signals) s?.removeEventListener('abort', done);
        resolve();
      };
      this.#wake = done;
      timer = this.clock.setTimeout(done, this.pollMs);
      for (const s of signals) s?.addEventListener('abort', done, { once: true });
    });
  }

  close(): void {
    this.#closeWatcher();
    this.#wake?.();
  }

  #closeWatcher(): void {
    this.#watcher?.close();
    this.#watcher = null;
  }
}
