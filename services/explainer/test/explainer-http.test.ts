/**
 * The explainer over HTTP as KServe calls it (POST /v1/models/<name>:explain), against the fixture predictor on
 * 127.0.0.1 over v1 and v2: attributions equal ground truth, additivity holds, errors are clear 4xx/5xx.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { OWN_ID_PREFIX } from "../src/predictor";
import { startFixture, type Fixture } from "./fixture";
import { bruteForceShapley, linearShapley, linearWeights, models } from "./groundTruth";
import { post, startExplainer } from "./helpers";
import { normalRows } from "./random";

const features = ["a", "b", "c", "d"];
const background = normalRows(3, 40, 4);
const base = { features, background: { inline: background }, backgroundSize: 40 };

let fixture: Fixture;
before(async () => {
  fixture = await startFixture(models);
});
after(() => fixture.close());

function close(a: number, b: number, tol = 1e-9) {
  return Math.abs(a - b) <= tol;
}

for (const protocol of ["v1", "v2"] as const) {
  describe(`explain over the ${protocol} protocol`, () => {
    it("a linear model: shap = w_i (x_i - E[x_i]), base + sum = f(x), as many instances as sent", async () => {
      const ex = await startExplainer("linear", fixture.url, protocol, base);
      try {
        const xs = normalRows(50, 3, 4, 2);
        const r = await post(`${ex.base}/v1/models/linear:explain`, { instances: xs });
        assert.equal(r.status, 200, JSON.stringify(r.json));
        assert.equal(r.json.method, "kernel-shap");
        assert.deepEqual(r.json.feature_names, features);
        assert.equal(r.json.explanations.length, 3);
        for (const [n, x] of xs.entries()) {
          const e = r.json.explanations[n];
          const truth = linearShapley(linearWeights, x, background);
          assert.equal(e.exact, true);
          for (let i = 0; i < 4; i++) {
            assert.equal(e.attributions[i].feature, features[i]);
            assert.equal(e.attributions[i].value, x[i]);
            assert.ok(close(e.attributions[i].shap, truth[i]), `shap[${i}] ${e.attributions[i].shap} vs ${truth[i]}`);
          }
          const fx = models.linear(x)[0];
          assert.ok(close(e.model_output, fx));
          assert.ok(close(e.base_value + e.attributions.reduce((s: number, a: any) => s + a.shap, 0), fx));
          assert.ok(e.additivity_gap < 1e-9);
        }
      } finally {
        await ex.close();
      }
    });

    it("non-linear models, one output and three (softmax): brute-force Shapley values over the background", async () => {
      for (const name of ["interactions", "softmax"]) {
        const ex = await startExplainer(name, fixture.url, protocol, base);
        try {
          const x = normalRows(60, 1, 4, 1.5)[0];
          const r = await post(`${ex.base}/v1/models/${name}:explain`, { instances: [x] });
          assert.equal(r.status, 200, JSON.stringify(r.json));
          const e = r.json.explanations[0];
          const truth = bruteForceShapley(models[name], x, background);
          for (let i = 0; i < 4; i++) {
            const got = [e.attributions[i].shap].flat();
            for (let c = 0; c < truth[i].length; c++) assert.ok(close(got[c], truth[i][c]), `${name} shap[${i}][${c}] ${got[c]} vs ${truth[i][c]}`);
          }
          const outs = models[name](x);
          const baseV = [e.base_value].flat();
          for (let c = 0; c < outs.length; c++) {
            const sum = baseV[c] + e.attributions.reduce((s: number, a: any) => s + [a.shap].flat()[c], 0);
            assert.ok(close(sum, outs[c]), `${name} additivity output ${c}`);
          }
        } finally {
          await ex.close();
        }
      }
    });
  });
}

describe("explain requests: inputs, batching, budgets and errors", () => {
  it("accepts objects keyed by feature name and a v2-shaped body; batches rows; marks its predictor calls", async () => {
    const ex = await startExplainer("linear", fixture.url, "v1", { ...base, batchSize: 100 });
    try {
      const x = [1, 2, 3, 4];
      fixture.calls = 0;
      fixture.ceIds = [];
      const a = await post(`${ex.base}/v1/models/linear:explain`, { instances: [{ d: 4, c: 3, b: 2, a: 1 }] });
      assert.equal(a.status, 200);
      // 1 + 40 background + 14 coalitions x 40 = 601 rows in batches of 100.
      assert.equal(a.json.predictor_rows, 601);
      assert.equal(a.json.predictor_calls, 7);
      assert.equal(fixture.calls, 7);
      assert.ok(fixture.ceIds.every((id) => id.startsWith(`${OWN_ID_PREFIX}explainer-`)), "Ce-Id marks the explainer's own calls");
      const b = await post(`${ex.base}/v1/models/linear:explain`, { inputs: [{ name: "input-0", shape: [1, 4], datatype: "FP64", data: x }] });
      assert.equal(b.status, 200);
      assert.deepEqual(b.json.explanations, a.json.explanations);
    } finally {
      await ex.close();
    }
  });

  it("samples (seeded, reproducible) beyond maxExactFeatures; additivity still holds", async () => {
    const ex = await startExplainer("interactions", fixture.url, "v1", { ...base, maxExactFeatures: 2, samples: 10, seed: 7 });
    try {
      const body = { instances: [[0.5, -1, 2, 1]] };
      const a = await post(`${ex.base}/v1/models/interactions:explain`, body);
      const b = await post(`${ex.base}/v1/models/interactions:explain`, body);
      assert.equal(a.status, 200, JSON.stringify(a.json));
      assert.equal(a.json.explanations[0].exact, false);
      assert.deepEqual(a.json.explanations, b.json.explanations);
      assert.ok(a.json.explanations[0].additivity_gap < 1e-9);
    } finally {
      await ex.close();
    }
  });

  it("clear 4xx for bad input, with the reason counted", async () => {
    const ex = await startExplainer("linear", fixture.url, "v1", { ...base, maxInstances: 2 });
    try {
      const url = `${ex.base}/v1/models/linear:explain`;
      const cases: [unknown, number, string, RegExp][] = [
        ["{not json", 400, "malformed", /not valid JSON/],
        [{ rows: [] }, 400, "malformed", /neither "instances" \(v1\) nor "inputs" \(v2\)/],
        [{ instances: [[1, 2, 3]] }, 400, "feature_count", /instance 0 has 3 values, the model has 4 features/],
        [{ instances: [[1, 2, "x", 4]] }, 400, "malformed", /instances\[0\]\[2\] is not a finite number/],
        [{ instances: [{ a: 1, b: 2 }] }, 400, "feature_count", /lacks feature\(s\) c, d/],
        [{ instances: [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]] }, 400, "too_many_instances", /at most 2 \(maxInstances\)/],
        ["[".repeat(100) + "]".repeat(100), 400, "too_deep", /deeper than 64/],
      ];
      for (const [body, status, reason, message] of cases) {
        const r = await post(url, body);
        assert.equal(r.status, status, `${JSON.stringify(body).slice(0, 40)}: ${JSON.stringify(r.json)}`);
        assert.equal(r.json.reason, reason);
        assert.match(r.json.error, message);
      }
      const other = await post(`${ex.base}/v1/models/iris:explain`, { instances: [[1, 2, 3, 4]] });
      assert.equal(other.status, 404);
      assert.match(other.json.error, /serves model "linear", not "iris"/);
      assert.equal((await fetch(url)).status, 405);
      assert.equal((await fetch(`${ex.base}/nope`)).status, 404);
      const metrics = await (await fetch(`${ex.base}/metrics`)).text();
      assert.match(metrics, /inferstack_explainer_requests_total\{model="linear",outcome="feature_count"\} 2/);
      assert.match(metrics, /inferstack_explainer_requests_total\{model="linear",outcome="unknown_model"\} 1/);
      assert.doesNotMatch(metrics, /model="iris"/, "names from requests never become label values");
    } finally {
      await ex.close();
    }
  });

  it("413 for a body over the limit", async () => {
    const ex = await startExplainer("linear", fixture.url, "v1", base, { maxBodyBytes: 1000 });
    try {
      const r = await post(`${ex.base}/v1/models/linear:explain`, { instances: [[1, 2, 3, 4]], pad: "x".repeat(2000) });
      assert.equal(r.status, 413);
      assert.equal(r.json.reason, "too_large");
    } finally {
      await ex.close();
    }
  });

  it("422 before any predictor call when the call budget cannot cover the request", async () => {
    const ex = await startExplainer("linear", fixture.url, "v1", { ...base, batchSize: 100, maxPredictorCalls: 10 });
    try {
      fixture.calls = 0;
      const r = await post(`${ex.base}/v1/models/linear:explain`, { instances: [[1, 2, 3, 4], [4, 3, 2, 1]] });
      assert.equal(r.status, 422);
      assert.equal(r.json.reason, "budget_exceeded");
      assert.match(r.json.error, /needs 14 predictor calls \(7 each: 601 rows = 1 \+ 40 background \+ 14 coalitions x 40, in batches of 100\); the budget is 10 \(maxPredictorCalls\)/);
      assert.equal(fixture.calls, 0);
    } finally {
      await ex.close();
    }
  });

  it("503 timeout when the time budget runs out; 503/502 when the predictor is down or failing", async () => {
    const ex = await startExplainer("linear", fixture.url, "v1", { ...base, timeoutMs: 150, batchSize: 50, parallelCalls: 1 });
    try {
      fixture.delayMs = 60;
      const slow = await post(`${ex.base}/v1/models/linear:explain`, { instances: [[1, 2, 3, 4]] });
      assert.equal(slow.status, 503);
      assert.equal(slow.json.reason, "timeout");
      assert.match(slow.json.error, /time budget of 150 ms \(timeoutMs\)/);
      fixture.delayMs = 0;
      fixture.failWith = 500;
      const failing = await post(`${ex.base}/v1/models/linear:explain`, { instances: [[1, 2, 3, 4]] });
      assert.equal(failing.status, 502);
      assert.equal(failing.json.reason, "predictor_error");
      assert.match(failing.json.error, /the predictor answered 500/);
    } finally {
      fixture.delayMs = 0;
      fixture.failWith = undefined;
      await ex.close();
    }
    const down = await startExplainer("linear", "http://127.0.0.1:9", "v1", base);
    try {
      const r = await post(`${down.base}/v1/models/linear:explain`, { instances: [[1, 2, 3, 4]] });
      assert.equal(r.status, 503);
      assert.equal(r.json.reason, "predictor_unavailable");
      assert.equal(r.headers.get("retry-after"), "1");
    } finally {
      await down.close();
    }
  });

  it("not ready (503) until the background loads; KServe's health paths answer", async () => {
    let release!: (rows: number[][]) => void;
    const ex = await startExplainer("linear", fixture.url, "v1", base, { loadBackground: () => new Promise((r) => (release = r)) });
    try {
      assert.equal((await fetch(`${ex.base}/v1/models/linear`)).status, 503);
      assert.equal((await fetch(`${ex.base}/readyz`)).status, 503);
      const early = await post(`${ex.base}/v1/models/linear:explain`, { instances: [[1, 2, 3, 4]] });
      assert.equal(early.status, 503);
      assert.equal(early.json.reason, "not_ready");
      release(background);
      await ex.explainer.ready;
      assert.deepEqual(await (await fetch(`${ex.base}/v1/models/linear`)).json(), { name: "linear", ready: true });
      assert.equal((await fetch(`${ex.base}/v2/health/ready`)).status, 200);
      assert.deepEqual(await (await fetch(`${ex.base}/`)).json(), { status: "alive" });
    } finally {
      await ex.close();
    }
  });
});
