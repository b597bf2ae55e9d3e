/**
 * A seeded PRNG for tests. No imports, so the root project's end-to-end test (test/prometheusE2e.test.ts) uses
 * it too.
 */

/** mulberry32: tiny deterministic PRNG so every run sees the same data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
