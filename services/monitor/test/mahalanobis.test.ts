import { test } from "node:test";
import assert from "node:assert/strict";
import { cholesky, columnMeans, covarianceMatrix, invertSPD, leaveOneOutDistance, mahalanobis, quantileSorted, regularise } from "../src/stats/mahalanobis";
import { OutlierDetector, conformalRank, outlierMinimumRows } from "../src/outlier";
import { parseConfig } from "../src/config";
import { normalRows } from "./helpers";

const close = (actual: number, expected: number, tol: number, what = "") =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected} ± ${tol}, got ${actual}`);

test("mean, covariance, inverse and distance on a hand-worked example", () => {
  // Centred rows (−2,0) (0,2) (2,−2) → Σ = [[4,−2],[−2,4]], Σ⁻¹ = [[1/3,1/6],[1/6,1/3]].
  const rows = [[1, 2], [3, 4], [5, 0]];
  const mean = columnMeans(rows, 2);
  assert.deepEqual([...mean], [3, 2]);
  const cov = covarianceMatrix(rows, mean);
  assert.deepEqual([...cov], [4, -2, -2, 4]);
  const inv = invertSPD(cov, 2);
  [1 / 3, 1 / 6, 1 / 6, 1 / 3].forEach((v, i) => close(inv[i], v, 1e-15, `inv[${i}]`));
  // (1,1)·Σ⁻¹·(1,1) = 1/3+1/6+1/6+1/3 = 1.
  close(mahalanobis([4, 3], mean, inv), 1, 1e-15, "d");
  close(mahalanobis([3, 2], mean, inv), 0, 1e-15, "d at mean");
});

test("Cholesky-based inverse of a 3×3 SPD matrix", () => {
  const a = Float64Array.from([4, 12, -16, 12, 37, -43, -16, -43, 98]);
  assert.deepEqual([...cholesky(a, 3)], [2, 0, 0, 6, 1, 0, -8, 5, 3]);
  const inv = invertSPD(a, 3);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += a[i * 3 + k] * inv[k * 3 + j];
      close(s, i === j ? 1 : 0, 1e-9, `(A·A⁻¹)[${i}][${j}]`);
    }
});

test("regularisation makes a singular covariance invertible", () => {
  const rows = [[1, 2], [2, 4], [3, 6], [4, 8]]; // perfectly collinear
  const mean = columnMeans(rows, 2);
  const cov = covarianceMatrix(rows, mean);
  assert.throws(() => cholesky(cov, 2), /not positive definite/);
  const inv = invertSPD(regularise(cov, 2), 2);
  const onLine = mahalanobis([5, 10], mean, inv);
  const offLine = mahalanobis([2.5, 4], mean, inv);
  assert.ok(Number.isFinite(onLine) && Number.isFinite(offLine));
  assert.ok(offLine > 100 * onLine, `off-line ${offLine} vs on-line ${onLine}`);
});

test("quantile interpolates at plotting position (n + 1)·q (numpy 'weibull')", () => {
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  close(quantileSorted([1, 2, 3, 4], 0.25), 1.25, 1e-12); // position 1.25
  close(quantileSorted([10, 20, 30, 40, 50, 60, 70, 80, 90], 0.75), 75, 1e-12); // position 7.5
  assert.equal(quantileSorted([1, 2, 3, 4], 0.99), 4); // beyond the largest: clamp
  assert.equal(quantileSorted([1, 2, 3, 4], 0.1), 1);
  assert.equal(quantileSorted([7], 0.3), 7);
});

test("outlier detector: threshold is the reference quantile and extremes are flagged", () => {
  const ref = normalRows(11, 4000, 3);
  const det = new OutlierDetector(
    [{ name: "a", type: "numeric" }, { name: "b", type: "numeric" }, { name: "c", type: "numeric" }],
    ref,
    0.99,
  );
  // For N(0, I₃) the squared distance is χ²₃, whose 99% point is 11.345 → d ≈ 3.368; the order statistic of
  // 2,000 calibration rows has a standard deviation of ≈ 0.07 there (this seed sits high).
  close(det.threshold, Math.sqrt(11.344866730144373), 0.25, "threshold");
  const unseen = det.score(normalRows(12, 20000, 3));
  // ≈ 0.0051 for this calibration draw (χ²₃ exceeds 3.575² that often); the guarantee is the upper side.
  const rate = unseen.outlier_count / 20000;
  assert.ok(rate > 0.003 && rate < 0.014, `flag rate on unseen same-distribution rows ${rate}`);
  const r = det.score([[0, 0, 0], [8, -8, 8]]);
  assert.deepEqual(r.is_outlier, [false, true]);
  assert.ok(r.scores[1] > 10);
});

test("outlier detector ignores categorical features and is disabled without numeric ones", () => {
  // Even rows fit the mean: 0, 2, 4, … 18 → mean 9.
  const ref = Array.from({ length: 20 }, (_, i) => [i, i % 2 ? "a" : "b"]);
  const det = new OutlierDetector([{ name: "x", type: "numeric" }, { name: "c", type: "categorical" }], ref, 0.9);
  assert.ok(det.enabled);
  close(det.score([[9, "zzz"]]).scores[0], 0, 1e-12, "mean row");
  const none = new OutlierDetector([{ name: "c", type: "categorical" }], [["a"], ["b"]], 0.9);
  assert.equal(none.enabled, false);
});

test("leave-one-out distances match refitting without the row", () => {
  const rows = normalRows(13, 12, 3);
  const n = rows.length;
  const mean = columnMeans(rows, 3);
  const precision = invertSPD(covarianceMatrix(rows, mean), 3);
  for (let i = 0; i < n; i++) {
    const others = rows.filter((_, k) => k !== i);
    const m = columnMeans(others, 3);
    const brute = mahalanobis(rows[i], m, invertSPD(covarianceMatrix(others, m), 3));
    close(leaveOneOutDistance(mahalanobis(rows[i], mean, precision), n), brute, 1e-9 * brute, `row ${i}`);
  }
});

test("the threshold flags at most 1 − q of unseen traffic, even with many features per reference row", () => {
  const d = 20;
  const features = Array.from({ length: d }, (_, j) => ({ name: `f${j}`, type: "numeric" as const }));
  const unseen = normalRows(15, 4000, d);
  let loo = 0;
  let naive = 0;
  const reps = 12;
  for (let k = 0; k < reps; k++) {
    const ref = normalRows(100 + k, 300, d);
    const det = new OutlierDetector(features, ref, 0.99);
    assert.equal(det.calibrationSize, 150);
    loo += det.score(unseen).outlier_count / unseen.length;
    // The naive alternative: quantile of the rows' in-sample distances.
    const mean = columnMeans(ref, d);
    const precision = invertSPD(regularise(covarianceMatrix(ref, mean), d), d);
    const t = quantileSorted(Float64Array.from(ref, (r) => mahalanobis(r, mean, precision)).sort(), 0.99);
    naive += unseen.filter((r) => mahalanobis(r, mean, precision) > t).length / unseen.length;
  }
  // Conformal: exactly 1 − ⌈151·0.99⌉/151 = 1/151 on average over references; 12 references × 4000 rows.
  close(loo / reps, 1 / 151, 0.003, "mean unseen flag rate");
  assert.ok(naive / reps > 0.025, `in-sample thresholds flag ${naive / reps}`);
});

test("split-conformal threshold: clean data is flagged at most at 1 − q, within binomial tolerance", () => {
  // One fresh reference per trial and one clean instance scored against it: each flag is then a Bernoulli draw
  // with P ≤ 1 − q (exactly 1 − ⌈(m + 1)q⌉/(m + 1)), so the count over the trials is binomial.
  const features = ["a", "b", "c"].map((name) => ({ name, type: "numeric" as const }));
  const q = 0.9;
  const n = 40; // 20 fit rows, 20 calibration rows
  const trials = 3000;
  const draws = normalRows(31, trials * (n + 1), 3).map((r) => [Math.exp(r[0]), r[1] + r[0] * r[0], r[2]]); // skewed, not Gaussian
  let flagged = 0;
  for (let t = 0; t < trials; t++) {
    const block = draws.slice(t * (n + 1), (t + 1) * (n + 1));
    const det = new OutlierDetector(features, block.slice(0, n), q);
    flagged += det.score([block[n]]).outlier_count;
  }
  const p = 1 - q;
  const bound = trials * p + 3 * Math.sqrt(trials * p * (1 - p));
  assert.ok(flagged <= bound, `flagged ${flagged} of ${trials}, bound ${bound.toFixed(1)} (1 − q = ${p})`);
  const exact = 1 - conformalRank(20, q) / 21;
  assert.ok(flagged >= trials * exact - 3 * Math.sqrt(trials * exact * (1 - exact)), `flagged ${flagged}: not merely conservative`);
});

test("split-conformal threshold on a large reference stays at the configured rate", () => {
  const features = ["a", "b", "c", "d"].map((name) => ({ name, type: "numeric" as const }));
  const det = new OutlierDetector(features, normalRows(41, 4000, 4), 0.99);
  const unseen = det.score(normalRows(42, 20000, 4));
  const rate = unseen.outlier_count / 20000;
  // Binomial tolerance of the 20,000 draws plus the spread of one 2,000-row calibration set.
  const sd = Math.sqrt(0.01 * 0.99 / 20000) + Math.sqrt(0.01 * 0.99 / 2000);
  assert.ok(rate <= 0.01 + 3 * sd, `rate ${rate}`);
});

test("references too small for the quantile are refused, naming the key and the minimum", () => {
  assert.equal(outlierMinimumRows(0.99), 198);
  assert.equal(outlierMinimumRows(0.95), 38);
  assert.equal(outlierMinimumRows(0.9), 18);
  const features = ["a", "b", "c", "d"].map((name) => ({ name, type: "numeric" as const }));
  // The shipped 30-row iris sample at 0.99: the old plotting-position threshold was simply the largest distance.
  const cfg = { features, task: "classification", reference: { inline: normalRows(51, 30, 4) }, outlier: { quantile: 0.99 } };
  assert.throws(
    () => parseConfig({ models: { iris: cfg } }),
    /models\.iris\.reference\.inline: 30 reference rows are too few for outlier\.quantile 0\.99: .*at least 198 rows/,
  );
  assert.throws(() => new OutlierDetector(features, normalRows(51, 197, 4), 0.99), /197 reference rows are too few.*198/);
  assert.ok(new OutlierDetector(features, normalRows(51, 198, 4), 0.99).enabled);
  // Lower quantiles, or outlier scoring turned off, accept it.
  parseConfig({ models: { iris: { ...cfg, outlier: { quantile: 0.9 } } } });
  parseConfig({ models: { iris: { ...cfg, outlier: { enabled: false } } } });
  assert.equal(new OutlierDetector(features, normalRows(51, 30, 4), 0.99, false).enabled, false);
});
