/** Bounds of the poll delay. */
export interface PollBounds {
  minMs: number;
  maxMs: number;
}

/**
 * Estimates a log's write rate from successive size samples (bytes per ms, smoothed), so that a
 * container without a usable directory watch is checked about twice before it can reach its limit.
 */
export class RateEstimator {
  #size: number | undefined;
  #at = 0;
  #rate = 0;
  #samples = 0;

  /** Feeds a sample; a shrinking size means the log was rotated and counts as growth from zero. */
  sample(size: number, atMs: number): void {
    if (this.#size !== undefined && atMs > this.#at) {
      const grown = size >= this.#size ? size - this.#size : size;
      const instant = grown / (atMs - this.#at);
      // Fast attack, slow decay: a writer that speeds up is believed at once, a pause only gradually.
      this.#rate = instant > this.#rate ? instant : this.#rate * 0.5 + instant * 0.5;
    }
    this.#size = size;
    this.#at = atMs;
    this.#samples++;
  }

  /** Bytes per millisecond. */
  get rate(): number {
    return this.#rate;
  }

  /** Delay until the next check: half the time the log needs to reach `limit` at the current rate. */
  nextDelay(size: number, limit: number, bounds: PollBounds): number {
    const remaining = limit - size;
    // Until two samples gave a rate, look again soon: the log may belong to a fast writer.
    if (remaining <= 0 || this.#samples < 2) return bounds.minMs;
    if (this.#rate <= 0) return bounds.maxMs;
    return Math.min(bounds.maxMs, Math.max(bounds.minMs, remaining / this.#rate / 2));
  }
}
