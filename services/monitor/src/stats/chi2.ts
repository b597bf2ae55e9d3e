import gammainc from "@stdlib/math-base-special-gammainc";

/**
 * Upper tail P(X > x) of a chi-squared distribution with `dof` degrees of
 * freedom. Uses the regularised upper incomplete gamma function directly
 * (instead of 1 − CDF) so tiny p-values keep their precision.
 */
export function chiSquareSurvival(x: number, dof: number): number {
  if (!(dof > 0)) return 1;
  if (!(x > 0)) return 1;
  return gammainc(x / 2, dof / 2, true, true);
}

export interface ChiSquareResult {
  statistic: number;
  dof: number;
  pValue: number;
  /** Cramér's V of the 2×K table: √(χ² / N), in [0, 1]. */
  cramersV: number;
}

/**
 * Chi-squared test of homogeneity for two samples of category counts
 * (a 2×K contingency table). Categories present in only one sample are part of
 * the table; categories with zero total count are dropped. With fewer than two
 * categories the samples cannot differ: statistic 0, p = 1.
 */
export function chiSquareHomogeneity(
  a: ReadonlyMap<string, number>,
  b: ReadonlyMap<string, number>,
): ChiSquareResult {
  let na = 0;
  let nb = 0;
  for (const c of a.values()) na += c;
  for (const c of b.values()) nb += c;
  const n = na + nb;
  if (na === 0 || nb === 0) return { statistic: 0, dof: 0, pValue: 1, cramersV: 0 };
  const fa = na / n;
  const fb = nb / n;
  let k = 0;
  let stat = 0;
  const visit = (oa: number, ob: number): void => {
    const total = oa + ob;
    if (total <= 0) return;
    k++;
    const ea = total * fa;
    const eb = total * fb;
    stat += ((oa - ea) * (oa - ea)) / ea + ((ob - eb) * (ob - eb)) / eb;
  };
  for (const [cat, oa] of a) visit(oa, b.get(cat) ?? 0);
  for (const [cat, ob] of b) if (!a.has(cat)) visit(0, ob);
  const dof = k - 1;
  if (dof < 1) return { statistic: 0, dof: 0, pValue: 1, cramersV: 0 };
  return { statistic: stat, dof, pValue: chiSquareSurvival(stat, dof), cramersV: Math.sqrt(stat / n) };
}
