import { test } from "node:test";
import assert from "node:assert/strict";
import { RESPONSE, kserveEvent, metric, normalRows, postEvent, postRaw, type Running, numericModel, withServer } from "./helpers";

const config = {
  models: {
    iris: numericModel(["a", "b"], "classification", 700, 300),
    churn: numericModel(["tenure", "spend"], "classification", 701, 300, { positiveLabel: 1 }),
    house: {
      features: [{ name: "sqft", type: "numeric" }, { name: "rooms", type: "numeric" }, { name: "zone", type: "categorical" }],
      task: "regression",
      reference: { inline: normalRows(702, 300, 2).map((r, i) => [r[0], r[1], i % 2 ? "a" : "b"]) },
    },
  },
};

async function logExchange(s: Running, model: string, id: string, request: unknown, response: unknown): Promise<void> {
  const req = await postEvent(s.base, kserveEvent({ id, model, data: request }));
  assert.ok(req.status === 202 || req.status === 200, req.text);
  const res = await postEvent(s.base, kserveEvent({ id, model, type: RESPONSE, data: response }), "structured");
  assert.equal(res.status, 202, res.text);
  assert.equal(res.text, "");
}

/** Equal up to float rounding (macro averages add fractions in a different order). */
const approx = (actual: number | undefined, expected: number) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-12, `expected ${expected}, got ${actual}`);

const json = (body: unknown) => [JSON.stringify(body), { "content-type": "application/json" }] as const;

test("classification feedback joined by request id: exact accuracy, macro precision/recall/F1", async () => {
  await withServer(config, async (s) => {
    await logExchange(s, "iris", "req-1", { instances: [[0, 0], [0.1, 0.1], [0.2, 0.2], [0.3, 0.3]] }, { predictions: [0, 1, 2, 1] });
    const r = await postRaw(s.base, "/feedback", ...json({ model: "iris", id: "req-1", truth: [0, 1, 1, 1] }));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, "ok");
    assert.equal(r.json.labelled, 4);
    assert.equal(r.json.metrics.accuracy, 0.75);
    assert.equal(r.json.metrics.averaging, "macro");
    assert.equal(await metric(s.base, "inferstack_feedback_accuracy", { model: "iris" }), 0.75);
    // label 0: P 1, R 1; label 1: P 1, R 2/3; label 2: P 0 (one false positive), R 0.
    approx(await metric(s.base, "inferstack_feedback_precision", { model: "iris" }), 2 / 3);
    approx(await metric(s.base, "inferstack_feedback_recall", { model: "iris" }), 5 / 9);
    approx(await metric(s.base, "inferstack_feedback_f1", { model: "iris" }), (1 + 0.8) / 3);
    assert.equal(await metric(s.base, "inferstack_feedback_total", { model: "iris" }), 4);
    assert.equal(await metric(s.base, "inferstack_monitor_events_total", { model: "iris", type: "response" }), 1);

    // Redelivered feedback is acknowledged but not counted twice.
    const again = await postRaw(s.base, "/feedback", ...json({ model: "iris", id: "req-1", truth: [0, 1, 1, 1] }));
    assert.equal(again.status, 200);
    assert.equal(again.json.status, "duplicate");
    assert.equal(again.json.duplicates, 4);
    assert.equal(await metric(s.base, "inferstack_feedback_total", { model: "iris" }), 4);

    // Feedback as a CloudEvent, for a v2 response with score vectors (argmax → labels 0 and 2).
    await logExchange(
      s,
      "iris",
      "req-2",
      { inputs: [{ name: "x", shape: [2, 2], datatype: "FP32", data: [1, 1, 2, 2] }] },
      { outputs: [{ name: "proba", shape: [2, 3], datatype: "FP32", data: [0.9, 0.05, 0.05, 0.1, 0.2, 0.7] }] },
    );
    const ce = await postEvent(s.base, kserveEvent({ id: "fb-1", type: "io.inferstack.feedback", data: { model: "iris", id: "req-2", truth: [0, 2] } }));
    assert.equal(ce.status, 200, ce.text);
    assert.equal(ce.headers["ce-type"], "io.inferstack.monitor.feedback");
    assert.equal(ce.headers["ce-source"], "/inferstack/monitor/iris");
    assert.equal(ce.json.metrics.accuracy, 5 / 6);
    assert.equal(await metric(s.base, "inferstack_feedback_accuracy", { model: "iris" }), 5 / 6);

    // Feedback naming instances instead of an id is joined through the logged request.
    await logExchange(s, "iris", "req-3", { instances: [[7, 8]] }, { predictions: [1] });
    const byInstance = await postRaw(s.base, "/feedback", ...json({ model: "iris", instances: [[7, 8]], truth: [2] }));
    assert.equal(byInstance.status, 200, byInstance.text);
    assert.equal(byInstance.json.metrics.accuracy, 5 / 7);
    // …or carries its own predictions.
    const own = await postRaw(s.base, "/feedback", ...json({ model: "iris", instances: [[9, 9]], predictions: [1], truth: [1] }));
    assert.equal(own.json.metrics.accuracy, 6 / 8);
    assert.equal(await metric(s.base, "inferstack_feedback_total", { model: "iris" }), 8);
    assert.equal(await metric(s.base, "inferstack_monitor_events_total", { model: "iris", type: "feedback" }), 5);
    assert.equal(await metric(s.base, "inferstack_monitor_event_duration_seconds_count", { type: "feedback" }), 5);

    // Feedback CloudEvents are accepted on /feedback too.
    await logExchange(s, "iris", "req-4", { instances: [[1, 2]] }, { predictions: [0] });
    const onPath = await postEvent(s.base, kserveEvent({ id: "fb-2", type: "io.inferstack.feedback", data: { model: "iris", id: "req-4", truth: [0] } }), "structured", "/feedback");
    assert.equal(onPath.headers["ce-type"], "io.inferstack.monitor.feedback");
    assert.equal(onPath.json.metrics.accuracy, 7 / 9);
  });
});

test("positiveLabel precision/recall", async () => {
  await withServer(config, async (s) => {
    await logExchange(s, "churn", "c-1", { instances: [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]] }, { predictions: [1, 1, 0, 0, 1] });
    const r = await postRaw(s.base, "/feedback", ...json({ model: "churn", id: "c-1", truth: [1, 0, 1, 0, 1] }));
    assert.equal(r.status, 200, r.text);
    // tp = 2, fp = 1, fn = 1.
    approx(await metric(s.base, "inferstack_feedback_precision", { model: "churn" }), 2 / 3);
    approx(await metric(s.base, "inferstack_feedback_recall", { model: "churn" }), 2 / 3);
    approx(await metric(s.base, "inferstack_feedback_f1", { model: "churn" }), 2 / 3);
    assert.equal(await metric(s.base, "inferstack_feedback_accuracy", { model: "churn" }), 3 / 5);
    assert.equal(r.json.metrics.averaging, "positive:1");
  });
});

test("regression feedback: exact MAE and RMSE", async () => {
  await withServer(config, async (s) => {
    await logExchange(s, "house", "h-1", { instances: [[1.2, 3, "a"], [0.8, 2, "b"], [1.5, 4, "a"]] }, { predictions: [[2.5], [0.0], [2.0]] });
    const r = await postRaw(s.base, "/feedback", ...json({ model: "house", id: "h-1", truth: [3, -0.5, 2] }));
    assert.equal(r.status, 200, r.text);
    // |errors| 0.5, 0.5, 0 → MAE 1/3; squared 0.25, 0.25, 0 → RMSE √(0.5/3).
    assert.equal(r.json.metrics.mae, 1 / 3);
    assert.equal(await metric(s.base, "inferstack_feedback_mae", { model: "house" }), 1 / 3);
    assert.equal(await metric(s.base, "inferstack_feedback_rmse", { model: "house" }), Math.sqrt(0.5 / 3));
    // v2 response outputs for a second exchange: error 1 → MAE (1 + 1)/4 = 0.5, RMSE √(1.5/4).
    await logExchange(s, "house", "h-2", { instances: [[1, 1, "b"]] }, { outputs: [{ name: "y", shape: [1, 1], datatype: "FP64", data: [4] }] });
    await postRaw(s.base, "/feedback", ...json({ model: "house", id: "h-2", truth: [5] }));
    assert.equal(await metric(s.base, "inferstack_feedback_mae", { model: "house" }), 0.5);
    assert.equal(await metric(s.base, "inferstack_feedback_rmse", { model: "house" }), Math.sqrt(1.5 / 4));
    assert.equal(await metric(s.base, "inferstack_feedback_accuracy", { model: "house" }), undefined);
  });
});
