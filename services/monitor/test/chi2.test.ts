import { test } from "node:test";
import assert from "node:assert/strict";
import { chiSquareHomogeneity, chiSquareSurvival } from "../src/stats/chi2";
import { benjaminiHochberg, bonferroni, correct } from "../src/stats/correction";

const close = (actual: number, expected: number, tol: number, what = "") =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected} ± ${tol}, got ${actual}`);

test("chi-squared survival at known points", () => {
  close(chiSquareSurvival(3.841458820694124, 1), 0.05, 1e-12, "95% point, 1 dof");
  close(chiSquareSurvival(5.991464547107979, 2), 0.05, 1e-12, "95% point, 2 dof");
  close(chiSquareSurvival(11.070497693516351, 5), 0.05, 1e-12, "95% point, 5 dof");
  // With 2 dof the survival is exactly e^{−x/2}.
  close(chiSquareSurvival(4, 2), Math.exp(-2), 1e-15, "e^-2");
  // Far tail keeps relative precision (1 − CDF would round to 0).
  const tail = chiSquareSurvival(200, 2);
  close(tail / Math.exp(-100), 1, 1e-10, "tail ratio");
  assert.equal(chiSquareSurvival(0, 3), 1);
});

test("2×K homogeneity test on a hand-computed table", () => {
  // [[10,20],[30,40]]: expected 12,18,28,42 → χ² = 4/12+4/18+4/28+4/42 = 0.79365…, 1 dof.
  const r = chiSquareHomogeneity(new Map([["x", 10], ["y", 20]]), new Map([["x", 30], ["y", 40]]));
  close(r.statistic, 0.7936507936507936, 1e-12, "chi2");
  assert.equal(r.dof, 1);
  close(r.pValue, 0.37299848361348714, 1e-12, "p"); // erfc(√(χ²/2)) with χ² = 50/63
  close(r.cramersV, 0.0890870806374748, 1e-12, "V");
});

test("categories seen in only one sample are part of the table", () => {
  const r = chiSquareHomogeneity(new Map([["a", 5]]), new Map([["b", 5]]));
  close(r.statistic, 10, 1e-12, "chi2");
  assert.equal(r.dof, 1);
  close(r.cramersV, 1, 1e-12, "V");
});

test("identical proportions give χ² = 0 and p = 1; a single category is p = 1", () => {
  const same = chiSquareHomogeneity(new Map([["a", 10], ["b", 30]]), new Map([["a", 5], ["b", 15]]));
  assert.equal(same.statistic, 0);
  assert.equal(same.pValue, 1);
  const one = chiSquareHomogeneity(new Map([["a", 10]]), new Map([["a", 3]]));
  assert.equal(one.pValue, 1);
  assert.equal(one.dof, 0);
});

test("Bonferroni multiplies by m and caps at 1", () => {
  assert.deepEqual(bonferroni([0.01, 0.2, 0.5]), [0.03, 0.6000000000000001, 1]);
});

test("Benjamini–Hochberg adjusted p-values", () => {
  // Sorted 0.005 0.01 0.03 0.04, m = 4: raw p·m/rank = 0.02 0.02 0.04 0.04, then running minimum from the top.
  const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.005]);
  [0.02, 0.04, 0.04, 0.02].forEach((v, i) => close(q[i], v, 1e-15, `q[${i}]`));
  // Monotonicity step: 0.01·3/1 = 0.03 but the running minimum from above is 0.025·3/3 = 0.025.
  const r = benjaminiHochberg([0.01, 0.02, 0.025]);
  [0.025, 0.025, 0.025].forEach((v, i) => close(r[i], v, 1e-15, `r[${i}]`));
  assert.deepEqual(correct([0.5], "fdr"), [0.5]);
  // FDR is never stricter than Bonferroni.
  const p = [0.001, 0.01, 0.02, 0.3, 0.9];
  const b = correct(p, "bonferroni");
  correct(p, "fdr").forEach((v, i) => assert.ok(v <= b[i]));
});
