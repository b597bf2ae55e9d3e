/** Multiple-testing corrections over the per-feature drift p-values. */

export type Correction = "bonferroni" | "fdr";

/** Bonferroni: p·m, capped at 1 (controls the family-wise error rate). */
export function bonferroni(p: readonly number[]): number[] {
  const m = p.length;
  return p.map((v) => Math.min(1, v * m));
}

/**
 * Benjamini–Hochberg adjusted p-values (controls the false discovery rate):
 * q₍ᵢ₎ = min_{j ≥ i} p₍ⱼ₎·m/j over the ascending order, capped at 1, returned
 * in the input order. Comparing q to α is equivalent to the BH step-up rule.
 */
export function benjaminiHochberg(p: readonly number[]): number[] {
  const m = p.length;
  const order = p.map((_, i) => i).sort((x, y) => p[x] - p[y]);
  const out = new Array<number>(m);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const i = order[r];
    const v = Math.min(1, (p[i] * m) / (r + 1));
    if (v < running) running = v;
    out[i] = running;
  }
  return out;
}

export function correct(p: readonly number[], method: Correction): number[] {
  return method === "fdr" ? benjaminiHochberg(p) : bonferroni(p);
}
