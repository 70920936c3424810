/**
 * Runs at most `concurrency` tasks at once, in submission order. Used for containers and compressions
 * so a node with thousands of containers never opens thousands of files at once.
 */
export class Limiter {
  #active = 0;
  readonly #queue: (() => void)[] = [];

  constructor(readonly concurrency: number) {}

  /** Resolves with `task()`'s result once a slot was free and the task finished. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.concurrency) await new Promise<void>((resolve) => this.#queue.push(resolve));
    this.#active++;
    try {
      return await task();
    } finally {
      this.#active--;
      this.#queue.shift()?.();
    }
  }

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }
}

/** Serializes async work per key: two rotations of one container never overlap. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `task` after every earlier task with the same key has settled. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const current = previous.then(task, task);
    const tail = current.catch(() => {});
    this.#tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** True while a task for `key` runs or waits. */
  isBusy(key: string): boolean {
    return this.#tails.has(key);
  }
}
