import { test } from "node:test";
import assert from "node:assert/strict";
import { cholesky, columnMeans, covarianceMatrix, invertSPD, leaveOneOutDistance, mahalanobis, quantileSorted, regularise } from "../src/stats/mahalanobis";
import { OutlierDetector } from "../src/outlier";
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
  // For N(0, I₃) the squared distance is χ²₃, whose 99% point is 11.345 → d ≈ 3.368.
  close(det.threshold, Math.sqrt(11.344866730144373), 0.15, "threshold");
  const unseen = det.score(normalRows(12, 20000, 3));
  close(unseen.outlier_count / 20000, 0.01, 0.003, "flag rate on unseen same-distribution rows");
  const r = det.score([[0, 0, 0], [8, -8, 8]]);
  assert.deepEqual(r.is_outlier, [false, true]);
  assert.ok(r.scores[1] > 10);
});

test("outlier detector ignores categorical features and is disabled without numeric ones", () => {
  const det = new OutlierDetector([{ name: "x", type: "numeric" }, { name: "c", type: "categorical" }], [[0, "a"], [1, "b"], [2, "a"]], 0.9);
  assert.ok(det.enabled);
  close(det.score([[1, "zzz"]]).scores[0], 0, 1e-12, "mean row");
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

test("the threshold flags ≈ 1 − q of unseen traffic, even with many features per reference row", () => {
  const d = 20;
  const features = Array.from({ length: d }, (_, j) => ({ name: `f${j}`, type: "numeric" as const }));
  const unseen = normalRows(15, 4000, d);
  let loo = 0;
  let naive = 0;
  const reps = 12;
  for (let k = 0; k < reps; k++) {
    const ref = normalRows(100 + k, 300, d);
    loo += new OutlierDetector(features, ref, 0.99).score(unseen).outlier_count / unseen.length;
    // The naive alternative: quantile of the rows' in-sample distances.
    const mean = columnMeans(ref, d);
    const precision = invertSPD(regularise(covarianceMatrix(ref, mean), d), d);
    const t = quantileSorted(Float64Array.from(ref, (r) => mahalanobis(r, mean, precision)).sort(), 0.99);
    naive += unseen.filter((r) => mahalanobis(r, mean, precision) > t).length / unseen.length;
  }
  close(loo / reps, 0.01, 0.003, "mean unseen flag rate");
  assert.ok(naive / reps > 0.025, `in-sample thresholds flag ${naive / reps}`);
});
