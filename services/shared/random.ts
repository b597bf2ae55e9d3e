/**
 * mulberry32: a small seeded PRNG, uniform in [0, 1). The explainer's sampled explanations and subsampling use it
 * (reproducible for a seed), and so does every test that wants the same data each run (both services', and the root
 * project's end-to-end tests). No imports, so the root project compiles it too.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
