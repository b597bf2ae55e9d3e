/** KernelSHAP against ground truth (test/groundTruth.ts), with an in-process model: no HTTP here. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ExplainError, explainInstance, instanceCost, planCoalitions, shapleyKernel, type Evaluate } from "../src/kernelShap";
import { bruteForceShapley, linearShapley, models as knownModels, type Model } from "./groundTruth";
import { normalRows } from "./random";

const never = new AbortController().signal;
const local = (f: Model): Evaluate => async (rows) => rows.map(f);
const exactSettings = { maxExactFeatures: 12, samples: 0, seed: 1, batchSize: 257, parallelCalls: 2 };

function assertClose(actual: number, expected: number, tol: number, what: string) {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (tolerance ${tol})`);
}

describe("KernelSHAP, exact enumeration", () => {
  it("a linear model gets w_i * (x_i - E[x_i]) for every feature (d = 2..8)", async () => {
    for (const d of [2, 3, 5, 8]) {
      const w = Array.from({ length: d }, (_, i) => (i % 2 ? -1 : 1) * (i + 0.5));
      const f: Model = (r) => [r.reduce((s, v, i) => s + w[i] * v, 3)];
      const background = normalRows(d, 30, d);
      const x = normalRows(100 + d, 1, d, 2)[0];
      const plan = planCoalitions(d, exactSettings);
      assert.equal(plan.masks.length, 2 ** d - 2);
      const e = await explainInstance(x, background, plan, exactSettings, local(f), never);
      const truth = linearShapley(w, x, background);
      for (let i = 0; i < d; i++) assertClose(e.phi[i][0], truth[i], 1e-9, `d=${d} phi[${i}]`);
      assertClose(e.base[0] + e.phi.reduce((s, p) => s + p[0], 0), f(x)[0], 1e-9, "additivity");
      assert.ok(e.additivityGap < 1e-9);
    }
  });

  it("non-linear models (interactions, max, a 3-class softmax) match brute-force Shapley values", async () => {
    const models: { name: string; d: number; f: Model }[] = [
      { name: "x0*x1 + sin(x2) + x3^2", d: 4, f: knownModels.interactions },
      { name: "max(x0, x1, x2) - x3*x4", d: 5, f: (r) => [Math.max(r[0], r[1], r[2]) - r[3] * r[4]] },
      { name: "softmax of 3 linear scores", d: 4, f: knownModels.softmax },
    ];
    for (const { name, d, f } of models) {
      const background = normalRows(7, 25, d);
      const x = normalRows(8, 1, d, 1.5)[0];
      const e = await explainInstance(x, background, planCoalitions(d, exactSettings), exactSettings, local(f), never);
      const truth = bruteForceShapley(f, x, background);
      for (let i = 0; i < d; i++) for (let c = 0; c < truth[i].length; c++) assertClose(e.phi[i][c], truth[i][c], 1e-9, `${name} phi[${i}][${c}]`);
      const fx = f(x);
      for (let c = 0; c < fx.length; c++) assertClose(e.base[c] + e.phi.reduce((s, p) => s + p[c], 0), fx[c], 1e-9, `${name} additivity, output ${c}`);
    }
  });

  it("the kernel weights are the Shapley kernel's; one feature gets f(x) - base", async () => {
    assertClose(shapleyKernel(4, 1), 3 / (4 * 1 * 3), 1e-15, "w(4,1)");
    assertClose(shapleyKernel(4, 2), 3 / (6 * 2 * 2), 1e-15, "w(4,2)");
    const e = await explainInstance([3], [[1], [2]], planCoalitions(1, exactSettings), exactSettings, local((r) => [r[0] * r[0]]), never);
    assertClose(e.phi[0][0], 9 - 2.5, 1e-12, "phi");
  });

  it("batches rows as configured and counts calls and rows", async () => {
    let calls = 0;
    let maxRows = 0;
    const f: Model = (r) => [r[0] - r[1] + r[2]];
    const evaluate: Evaluate = async (rows) => {
      calls++;
      maxRows = Math.max(maxRows, rows.length);
      return rows.map(f);
    };
    const plan = planCoalitions(3, exactSettings);
    const settings = { ...exactSettings, batchSize: 10 };
    const e = await explainInstance([1, 2, 3], normalRows(3, 4, 3), plan, settings, evaluate, never);
    const cost = instanceCost(plan, 4, 10);
    assert.equal(cost.rows, 1 + 4 + 6 * 4);
    assert.equal(e.predictorRows, cost.rows);
    assert.equal(calls, cost.calls);
    assert.equal(e.predictorCalls, cost.calls);
    assert.ok(maxRows <= 10);
  });

  it("rejects a predictor that changes its output width", async () => {
    let first = true;
    const evaluate: Evaluate = async (rows) => rows.map(() => (first ? ((first = false), [1, 2]) : [1]));
    await assert.rejects(explainInstance([1, 2], [[0, 0]], planCoalitions(2, exactSettings), { ...exactSettings, batchSize: 1 }, evaluate, never), ExplainError);
  });
});

describe("KernelSHAP, seeded sampling beyond maxExactFeatures", () => {
  it("is reproducible for a seed, and different seeds draw different coalitions", () => {
    const s = { maxExactFeatures: 4, samples: 200, seed: 42 };
    const a = planCoalitions(12, s);
    const b = planCoalitions(12, s);
    const c = planCoalitions(12, { ...s, seed: 43 });
    assert.equal(a.exact, false);
    assert.deepEqual(a.masks.map((m) => m.join("")), b.masks.map((m) => m.join("")));
    assert.deepEqual(a.weights, b.weights);
    assert.notDeepEqual(a.masks.map((m) => m.join("")), c.masks.map((m) => m.join("")));
    assert.ok(a.masks.length <= 200, `${a.masks.length} coalitions for a budget of 200`);
    // Enumerated and sampled coalitions together carry the kernel's whole mass, sum over sizes of (d-1)/(s(d-s)).
    let mass = 0;
    for (let size = 1; size < 12; size++) mass += 11 / (size * (12 - size));
    assertClose(a.weights.reduce((x, y) => x + y, 0), mass, 1e-9, "total weight");
    // Sizes 1 and 11 (24 coalitions) fit in their share of the budget: enumerated, each with its kernel weight.
    assert.equal(a.masks.filter((m) => m.reduce((x, y) => x + y, 0) === 1).length, 12);
    for (const m of a.masks) {
      const size = m.reduce((x, y) => x + y, 0);
      assert.ok(size > 0 && size < 12);
    }
  });

  it("a linear model is still exact when sampled (any full-rank coalition set recovers a linear game)", async () => {
    const d = 20;
    const w = Array.from({ length: d }, (_, i) => Math.cos(i) * 2);
    const f: Model = (r) => [r.reduce((s, v, i) => s + w[i] * v, -1)];
    const background = normalRows(11, 20, d);
    const x = normalRows(12, 1, d, 2)[0];
    const settings = { maxExactFeatures: 10, samples: 400, seed: 5, batchSize: 1000, parallelCalls: 2 };
    const e = await explainInstance(x, background, planCoalitions(d, settings), settings, local(f), never);
    assert.equal(e.exact, false);
    const truth = linearShapley(w, x, background);
    for (let i = 0; i < d; i++) assertClose(e.phi[i][0], truth[i], 1e-8, `phi[${i}]`);
  });

  it("a non-linear model converges to brute-force Shapley values as samples grow", async () => {
    const d = 10;
    const f: Model = (r) => [r[0] * r[1] + Math.tanh(r[2] + r[3]) + Math.max(r[4], r[5]) - 0.5 * r[6] * r[7] * r[8] + r[9]];
    const background = normalRows(21, 8, d);
    const x = normalRows(22, 1, d, 1.5)[0];
    const truth = bruteForceShapley(f, x, background).map((p) => p[0]);
    const norm = Math.sqrt(truth.reduce((s, v) => s + v * v, 0));
    const errorAt = async (samples: number) => {
      const settings = { maxExactFeatures: 4, samples, seed: 9, batchSize: 4000, parallelCalls: 1 };
      const e = await explainInstance(x, background, planCoalitions(d, settings), settings, local(f), never);
      assert.ok(e.additivityGap < 1e-9, "additivity holds whatever the sample");
      return Math.sqrt(e.phi.reduce((s, p, i) => s + (p[0] - truth[i]) ** 2, 0)) / norm;
    };
    const coarse = await errorAt(64);
    const fine = await errorAt(1000);
    assert.ok(fine < 0.03, `relative error with 1000 samples: ${fine}`);
    assert.ok(fine < coarse, `more samples, smaller error (${coarse} -> ${fine})`);
  });

  it("says to raise samples when the drawn coalitions cannot determine the attributions", async () => {
    const settings = { maxExactFeatures: 2, samples: 2, seed: 1, batchSize: 100, parallelCalls: 1 };
    await assert.rejects(
      explainInstance([1, 2, 3, 4, 5, 6], normalRows(1, 3, 6), planCoalitions(6, settings), settings, local((r) => [r[0]]), never),
      /raise samples/,
    );
  });
});
