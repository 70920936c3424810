import { CrilogError } from '../errors/crilog-error.js';

/**
 * The libdeflate level that stands for each gzip level 1-9. A configured gzip level N means "output no
 * larger than `gzip -N`'s on log data", whatever the engine: Node's zlib meets that at N itself, and
 * libdeflate already at a lower level, which costs less CPU (its level 5 takes about 30 % less than its
 * 6). Each entry is the lowest libdeflate level whose output was no larger than `gzip -N`'s on every
 * data set of `bench/rotation/levels.mjs` (two rotation workloads and long JSON records, 64 MiB each),
 * and never above N, so no setting compresses harder than before. Measured with libdeflate 1.14 and
 * gzip 1.12; the figures are in bench/rotation/README.md ("Gzip levels"). Rerun the script and update
 * this table, the README and docs/configuration.md together.
 */
export const LIBDEFLATE_LEVELS: Readonly<Record<number, number>> = Object.freeze({
  1: 1,
  2: 1,
  3: 2,
  4: 3,
  5: 5,
  6: 5,
  7: 6,
  8: 6,
  9: 6,
});

/** The libdeflate level for gzip level `level` (1-9); see `LIBDEFLATE_LEVELS`. */
export function libdeflateLevel(level: number): number {
  const mapped = LIBDEFLATE_LEVELS[level];
  if (mapped === undefined)
    throw new CrilogError(
      'ERR_INVALID_OPTION',
      `invalid gzip level ${level}: must be an integer from 1 to 9`,
    );
  return mapped;
}
