import { test } from "node:test";
import assert from "node:assert/strict";
import type { FeatureSpec } from "../src/config";
import { DriftDetector } from "../src/drift";
import { chiSquareHomogeneity } from "../src/stats/chi2";
import { ksTwoSample } from "../src/stats/ks";
import { normalRows, rng } from "./helpers";

const numeric = (d: number): FeatureSpec[] => Array.from({ length: d }, (_, j) => ({ name: `f${j}`, type: "numeric" as const }));
const opts = (o: Partial<{ windowSize: number; pValue: number; correction: "bonferroni" | "fdr"; minSamples: number }> = {}) => ({
  windowSize: 100,
  pValue: 0.05,
  correction: "bonferroni" as const,
  minSamples: 10,
  ...o,
});

test("the window keeps exactly the last windowSize rows (matches a brute-force KS)", () => {
  const ref = normalRows(21, 300, 2);
  const det = new DriftDetector(numeric(2), ref, opts({ windowSize: 100 }));
  const traffic = normalRows(22, 537, 2, [0.3, 0]);
  const u = rng(23);
  let i = 0;
  while (i < traffic.length) {
    // Mixed batch sizes, including one larger than the window.
    const size = i === 200 ? 150 : 1 + Math.floor(u() * 7);
    det.add(traffic.slice(i, i + size));
    i = Math.min(traffic.length, i + size);
    const last = traffic.slice(Math.max(0, i - 100), i);
    assert.equal(det.size, Math.min(i, 100));
    const r = det.check();
    for (let j = 0; j < 2; j++) {
      const brute = ksTwoSample(last.map((row) => row[j]), ref.map((row) => row[j]));
      assert.equal(r.features[j].statistic, brute.statistic, `feature ${j} after ${i} rows`);
      assert.equal(r.features[j].p_value, brute.pValue);
    }
  }
});

test("no drift on same-distribution traffic, drift on a mean shift of one feature", () => {
  const ref = normalRows(31, 1000, 5);
  const same = new DriftDetector(numeric(5), ref, opts({ windowSize: 500 }));
  same.add(normalRows(32, 500, 5));
  const r0 = same.check();
  assert.equal(r0.is_drift, false);
  for (const f of r0.features) assert.ok(f.p_value_corrected >= 0.05, `${f.name} p=${f.p_value_corrected}`);

  const shifted = new DriftDetector(numeric(5), ref, opts({ windowSize: 500 }));
  shifted.add(normalRows(33, 500, 5, [0, 0, 0.5, 0, 0]));
  const r1 = shifted.check();
  assert.equal(r1.is_drift, true);
  assert.equal(r1.features[2].is_drift, true);
  assert.ok(r1.features[2].p_value_corrected < 1e-6, `p=${r1.features[2].p_value_corrected}`);
  assert.ok(r1.features[2].distance > 0.15);
  assert.deepEqual(
    r1.features.filter((f) => f.is_drift).map((f) => f.name),
    ["f2"],
  );
});

test("corrected p-values follow the configured correction", () => {
  const ref = normalRows(41, 800, 4);
  const rows = normalRows(42, 300, 4, [0.25, 0.2, 0, 0]);
  const bon = new DriftDetector(numeric(4), ref, opts({ windowSize: 300, correction: "bonferroni" }));
  const fdr = new DriftDetector(numeric(4), ref, opts({ windowSize: 300, correction: "fdr" }));
  bon.add(rows);
  fdr.add(rows);
  const b = bon.check();
  const f = fdr.check();
  b.features.forEach((x) => assert.equal(x.p_value_corrected, Math.min(1, x.p_value * 4)));
  f.features.forEach((x, j) => {
    assert.equal(x.p_value, b.features[j].p_value);
    assert.ok(x.p_value_corrected <= b.features[j].p_value_corrected);
    assert.ok(x.p_value_corrected >= x.p_value);
  });
});

test("categorical features use a chi-squared test on window counts", () => {
  const features: FeatureSpec[] = [{ name: "x", type: "numeric" }, { name: "colour", type: "categorical" }];
  // Deterministic category patterns: the warm window has the reference's exact 50/50 mix.
  const ref = Array.from({ length: 600 }, (_, i) => [i / 600, i % 2 === 0 ? "red" : "blue"]);
  const det = new DriftDetector(features, ref, opts({ windowSize: 200 }));
  det.add(Array.from({ length: 200 }, (_, i) => [i / 200, i % 2 === 0 ? "red" : "blue"]));
  const r0 = det.check();
  assert.equal(r0.features[1].test, "chi2");
  assert.equal(r0.features[1].statistic, 0);
  assert.equal(r0.features[1].p_value, 1);
  assert.equal(r0.is_drift, false);
  // Evict every row: the window is now mostly red, plus a category never seen in the reference.
  const drifted = Array.from({ length: 200 }, (_, i) => [i / 200, i % 10 === 0 ? "blue" : i % 20 === 5 ? "green" : "red"]);
  det.add(drifted);
  const r1 = det.check();
  // Reference red 300 / blue 300; window red 170 / blue 20 / green 10.
  const expected = chiSquareHomogeneity(
    new Map([["red", 300], ["blue", 300]]),
    new Map([["red", 170], ["blue", 20], ["green", 10]]),
  );
  assert.equal(r1.features[1].statistic, expected.statistic);
  assert.equal(r1.features[1].distance, expected.cramersV);
  assert.equal(expected.dof, 2);
  assert.equal(r1.features[1].is_drift, true);
  assert.equal(r1.features[0].is_drift, false);
  assert.equal(r1.is_drift, true);
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

test("a 1,000×20 window is checked in well under 50 ms", () => {
  for (const refRows of [1000, 20000]) {
    const det = new DriftDetector(numeric(20), normalRows(61, refRows, 20), opts({ windowSize: 1000, minSamples: 50 }));
    det.add(normalRows(62, 1000, 20, [0.1]));
    det.check(); // warm-up
    const times: number[] = [];
    for (let k = 0; k < 25; k++) {
      const t0 = process.hrtime.bigint();
      det.check();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const ms = median(times);
    assert.ok(ms < 50, `median drift check ${ms.toFixed(3)} ms with ${refRows} reference rows`);
    // Well under: leave an order of magnitude of headroom on a busy CI box.
    assert.ok(ms < 10, `median drift check ${ms.toFixed(3)} ms with ${refRows} reference rows`);
  }
});
