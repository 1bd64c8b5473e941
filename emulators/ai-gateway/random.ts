/**
 * A small seeded PRNG (mulberry32) so probabilistic faults replay exactly: the same seed and the
 * same sequence of requests draw the same numbers. Not for anything secret.
 */

/** Seed used when none is given, so an unseeded run is still reproducible. */
export const DEFAULT_SEED = 1;

/** Returns a generator of floats in [0, 1) determined entirely by `seed` (any 32-bit integer). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
