/**
 * Feature squeezing (Xu, Evans & Qi, "Feature Squeezing: Detecting Adversarial Examples in Deep Neural
 * Networks", NDSS 2018): predict on the input and on "squeezed" copies that remove detail a legitimate input does
 * not need; an adversarial input, tuned to the model's fine-grained behaviour, tends to change prediction when
 * squeezed. The score is the largest L1 distance between the original prediction and a squeezed one.
 *
 * For tabular rows the squeezer is the paper's bit-depth reduction per feature: each value is scaled onto
 * [min, max] of its feature (from the reference sample, or configured), clamped, and rounded to 2^bits - 1 levels.
 */
export interface Squeezer {
  bitDepth: number;
}

/** Bit-depth reduction of one row over per-feature [min, max] ranges. */
export function squeezeRow(row: number[], ranges: [number, number][], bitDepth: number): number[] {
  const levels = 2 ** bitDepth - 1;
  return row.map((x, j) => {
    const [lo, hi] = ranges[j];
    const t = Math.min(1, Math.max(0, (x - lo) / (hi - lo)));
    return lo + (Math.round(t * levels) / levels) * (hi - lo);
  });
}

/** [min, max] of every feature over reference rows; a constant feature gets a unit-wide range around its value. */
export function rangesOf(rows: number[][], d: number): [number, number][] {
  return Array.from({ length: d }, (_, j) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of rows) {
      lo = Math.min(lo, r[j]);
      hi = Math.max(hi, r[j]);
    }
    return lo < hi ? [lo, hi] : [lo - 0.5, lo + 0.5];
  });
}

/** L1 distance between two predictions (vectors of the same length; scalars are one-element vectors). */
export function l1(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - (b[i] ?? 0));
  return s;
}
