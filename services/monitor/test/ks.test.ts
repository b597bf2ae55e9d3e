import { test } from "node:test";
import assert from "node:assert/strict";
import { kolmogorovSurvival, ksPValue, ksStatisticMerge, ksStatisticSearch, ksStatisticSorted, ksTwoSample } from "../src/stats/ks";
import { normal, rng } from "./helpers";

const close = (actual: number, expected: number, tol: number, what = "") =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected} ± ${tol}, got ${actual}`);

test("KS statistic of a hand-worked example", () => {
  // Union order 0.1x 0.2y 0.3y 0.4y 0.5x 0.6y 0.9x; |Fx − Fy| peaks at 0.4: |1/3 − 3/4| = 5/12.
  const r = ksTwoSample([0.9, 0.1, 0.5], [0.4, 0.2, 0.6, 0.3]);
  close(r.statistic, 5 / 12, 1e-15, "D");
});

test("KS statistic handles ties (steps are taken after all equal values)", () => {
  // At 1: .25 vs 0; at 2: .75 vs .75; at 3: 1 vs .75; so D = 0.25 (a tie-naive merge reports 0.5).
  assert.equal(ksTwoSample([1, 2, 2, 3], [2, 2, 2, 4]).statistic, 0.25);
});

test("identical samples give D = 0 and p = 1", () => {
  const g = normal(1);
  const x = Array.from({ length: 500 }, g);
  const r = ksTwoSample(x, [...x].reverse());
  assert.equal(r.statistic, 0);
  assert.equal(r.pValue, 1);
});

test("disjoint samples give D = 1", () => {
  assert.equal(ksTwoSample([1, 2, 3], [4, 5, 6, 7]).statistic, 1);
});

test("Kolmogorov survival matches tabulated values", () => {
  // Q(λ) = 2 Σ (−1)^{k−1} e^{−2k²λ²}; classical critical values 1.2238 (10%), 1.3581 (5%), 1.6276 (1%).
  close(kolmogorovSurvival(1.0), 0.26999967167735456, 1e-12, "Q(1)");
  close(kolmogorovSurvival(0.5), 0.9639452436648751, 1e-12, "Q(0.5)");
  close(kolmogorovSurvival(2.0), 0.0006709252557796953, 1e-15, "Q(2)");
  close(kolmogorovSurvival(1.2238), 0.1000234278356778, 1e-10, "Q(1.2238)");
  close(kolmogorovSurvival(1.3581), 0.0499996304316674, 1e-10, "Q(1.3581)");
  close(kolmogorovSurvival(1.6276), 0.010001537333060776, 1e-10, "Q(1.6276)");
  assert.equal(kolmogorovSurvival(0), 1);
  assert.equal(kolmogorovSurvival(0.05), 1);
  assert.ok(kolmogorovSurvival(10) < 1e-80);
});

test("the two series agree where they switch (λ = 1.18)", () => {
  const below = kolmogorovSurvival(1.18 - 1e-9);
  const above = kolmogorovSurvival(1.18 + 1e-9);
  close(below, above, 1e-8, "continuity");
});

test("two-sample p-value uses the effective size and Stephens' correction", () => {
  // n = m = 50 → nₑ = 25, λ = (5 + 0.12 + 0.11/5)·0.3 = 1.5426 → Q(λ) = 0.0171444…
  close(ksPValue(0.3, 50, 50), 0.017144412343195865, 1e-12, "p");
  assert.equal(ksPValue(0, 50, 50), 1);
});

test("shifted normal samples give a tiny p-value", () => {
  const g = normal(2);
  const x = Array.from({ length: 300 }, g);
  const y = Array.from({ length: 300 }, () => g() + 1);
  const r = ksTwoSample(x, y);
  assert.ok(r.statistic > 0.3, `D = ${r.statistic}`);
  assert.ok(r.pValue < 1e-10, `p = ${r.pValue}`);
});

test("p-values are calibrated under the null (≈5% below 0.05)", () => {
  const g = normal(3);
  let below = 0;
  let sum = 0;
  const reps = 400;
  for (let k = 0; k < reps; k++) {
    const x = Array.from({ length: 100 }, g);
    const y = Array.from({ length: 150 }, g);
    const p = ksTwoSample(x, y).pValue;
    if (p < 0.05) below++;
    sum += p;
  }
  const rate = below / reps;
  assert.ok(rate > 0.02 && rate < 0.09, `rejection rate ${rate}`);
  close(sum / reps, 0.5, 0.06, "mean p");
});

test("merge and binary-search statistics agree, including ties and unequal sizes", () => {
  const u = rng(4);
  for (let k = 0; k < 200; k++) {
    const n = 1 + Math.floor(u() * 60);
    const m = 1 + Math.floor(u() * 3000);
    // Rounded values force many ties.
    const a = Float64Array.from({ length: n }, () => Math.round(u() * 40) / 4).sort();
    const b = Float64Array.from({ length: m }, () => Math.round((u() + 0.1 * (k % 3)) * 40) / 4).sort();
    const merge = ksStatisticMerge(a, n, b, m);
    close(ksStatisticSearch(a, n, b, m), merge, 1e-15, `search(a,b) case ${k}`);
    close(ksStatisticSearch(b, m, a, n), merge, 1e-15, `search(b,a) case ${k}`);
    close(ksStatisticSorted(a, n, b, m), merge, 1e-15, `sorted case ${k}`);
  }
});
