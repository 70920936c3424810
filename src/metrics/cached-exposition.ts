import type { SeriesFamily } from './series-family.js';

/**
 * Families served as one ready Buffer, rendered again only when one of them changed since the last
 * scrape: on an idle node the per-container part of a scrape (most of its bytes) then costs neither
 * formatting nor encoding, and the same Buffer goes to the socket every time.
 */
export class CachedExposition {
  #cache: { version: number; body: Buffer } | undefined;

  constructor(private readonly families: readonly SeriesFamily[]) {}

  /**
   * The families' text, to follow a prom-client registry's output (which ends with a newline): each
   * family after a blank line, as prom-client separates its own, and a final newline.
   */
  body(): Buffer {
    // Each family's version only grows, so their sum changes whenever any of them changed.
    let version = 0;
    for (const f of this.families) version += f.version;
    if (this.#cache?.version === version) return this.#cache.body;
    const text = this.families.map((f) => `\n${f.text()}\n`).join('');
    const body = Buffer.from(text, 'utf8');
    this.#cache = { version, body };
    return body;
  }
}
