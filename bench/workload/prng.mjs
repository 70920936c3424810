/**
 * A small, fast, seeded PRNG (sfc32) so every workload is byte-for-byte the same on every machine and
 * every Node version: Math.random() can't be seeded, and a crypto PRNG would be needlessly slow.
 */

/**
 * Hashes a string seed into four 32-bit words (cyrb128), so related seeds such as "W1/c07/live" and
 * "W1/c07/rotated" still give unrelated streams.
 * @param {string} seed
 * @returns {[number, number, number, number]}
 */
export function hashSeed(seed) {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < seed.length; i++) {
    const k = seed.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** A seeded random source with the few draws the line generator needs. */
export class Prng {
  #a;
  #b;
  #c;
  #d;

  /** @param {string} seed any string; equal seeds give equal streams. */
  constructor(seed) {
    [this.#a, this.#b, this.#c, this.#d] = hashSeed(seed);
    // The first outputs of sfc32 still carry the seed's structure.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** @returns {number} a uniform 32-bit unsigned integer. */
  next() {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** @returns {number} a uniform float in [0, 1). */
  float() {
    return this.next() / 4294967296;
  }

  /**
   * @param {number} n exclusive upper bound (> 0)
   * @returns {number} an integer in [0, n).
   */
  int(n) {
    return Math.floor(this.float() * n);
  }

  /**
   * @template T
   * @param {readonly T[]} items
   * @returns {T}
   */
  pick(items) {
    return /** @type {T} */ (items[this.int(items.length)]);
  }

  /**
   * Zipf-like pick: early items are much more frequent, as a few endpoints and messages dominate real logs.
   * @template T
   * @param {readonly T[]} items
   * @returns {T}
   */
  skewed(items) {
    const u = this.float();
    return /** @type {T} */ (items[Math.floor(u * u * u * items.length)]);
  }

  /**
   * @param {number} digits
   * @returns {string} lowercase hex of the given length (request ids, trace ids: the incompressible part of logs).
   */
  hex(digits) {
    let s = '';
    while (s.length < digits) s += this.next().toString(16).padStart(8, '0');
    return s.slice(0, digits);
  }
}
