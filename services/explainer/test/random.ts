/** Seeded test data (mulberry32 in services/shared/random.ts), so every run draws the same numbers. */
import { seededRandom } from "../../shared/random";

export function normal(seed: number): () => number {
  const u = seededRandom(seed);
  return () => {
    let u1 = 0;
    while (u1 === 0) u1 = u();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u());
  };
}

export function normalRows(seed: number, n: number, d: number, scale = 1, shift = 0): number[][] {
  const g = normal(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => shift + scale * g()));
}
