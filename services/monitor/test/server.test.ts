import { test } from "node:test";
import assert from "node:assert/strict";
import { REQUEST, get, kserveEvent, metric, normalRows, postEvent, start } from "./helpers";

const FEATURES = ["f0", "f1", "f2", "f3"].map((name) => ({ name, type: "numeric" }));
const irisConfig = (extra: Record<string, unknown> = {}) => ({
  models: {
    iris: {
      features: FEATURES,
      task: "classification",
      reference: { inline: normalRows(100, 1000, 4) },
      // Checked after every request event, so each reply reflects that event's window.
      drift: { windowSize: 200, minSamples: 50, pValue: 0.05, correction: "bonferroni", checkIntervalMs: 0 },
      outlier: { quantile: 0.99 },
      ...extra,
    },
  },
});

test("same-distribution traffic: no drift, metrics report the window and p-values", async () => {
  // A check runs after every event from 50 rows on, each a test at level pValue; a strict level keeps
  // the chance of a false alarm across those 16 checks small (α = 0.05 alone would be ~5% per check).
  const s = await start(irisConfig({ drift: { windowSize: 200, minSamples: 50, pValue: 0.001, checkIntervalMs: 0 } }));
  try {
    const rows = normalRows(200, 200, 4);
    for (let k = 0; k < 20; k++) {
      const ev = kserveEvent({ id: `same-${k}`, model: "iris", data: { instances: rows.slice(k * 10, k * 10 + 10) } });
      const r = await postEvent(s.base, ev, k % 2 === 0 ? "binary" : "structured");
      assert.ok(r.status === 202 || r.status === 200, `status ${r.status}: ${r.text}`);
      if (r.status === 200) assert.equal(r.headers["ce-type"], "io.inferstack.monitor.outlier");
    }
    assert.equal(await metric(s.base, "inferstack_drift_detected", { model: "iris" }), 0);
    assert.equal(await metric(s.base, "inferstack_drift_window_size", { model: "iris" }), 200);
    assert.equal(await metric(s.base, "inferstack_monitor_events_total", { model: "iris", type: "request" }), 20);
    for (const f of FEATURES) {
      const p = await metric(s.base, "inferstack_drift_p_value", { model: "iris", feature: f.name });
      assert.ok(p !== undefined && p >= 0.001, `${f.name} corrected p = ${p}`);
      const d = await metric(s.base, "inferstack_drift_distance", { model: "iris", feature: f.name });
      assert.ok(d !== undefined && d > 0 && d < 0.15, `${f.name} D = ${d}`);
    }
    const status = (await get(s.base, "/status")).json;
    assert.equal(status.models.iris.last_drift.is_drift, false);
    assert.equal(status.models.iris.window_size, 200);
  } finally {
    await s.close();
  }
});

test("shifted mean: drift reply CloudEvent with a p-value below the threshold", async () => {
  const s = await start(irisConfig());
  try {
    const rows = normalRows(300, 200, 4, [1, 0, 0, 0]);
    const replies = [];
    for (let k = 0; k < 20; k++) {
      const ev = kserveEvent({ id: `shift-${k}`, model: "iris", namespace: "team-a", data: { instances: rows.slice(k * 10, k * 10 + 10) } });
      replies.push(await postEvent(s.base, ev, k % 2 === 0 ? "structured" : "binary"));
    }
    // Below minSamples (50) there is no drift check yet.
    for (const r of replies.slice(0, 4)) assert.notEqual(r.headers["ce-type"], "io.inferstack.monitor.drift");
    const last = replies[19];
    assert.equal(last.status, 200);
    assert.equal(last.headers["ce-type"], "io.inferstack.monitor.drift");
    assert.equal(last.headers["ce-source"], "/inferstack/monitor/iris");
    assert.equal(last.headers["ce-subject"], "shift-19");
    assert.equal(last.headers["ce-inferenceservicename"], "iris");
    assert.equal(last.headers["ce-namespace"], "team-a");
    assert.equal(last.headers["ce-specversion"], "1.0");
    assert.match(last.headers["content-type"], /^application\/json/);
    const drift = last.json.drift;
    assert.equal(drift.is_drift, true);
    assert.equal(drift.window_size, 200);
    assert.equal(drift.features[0].name, "f0");
    assert.equal(drift.features[0].test, "ks");
    assert.ok(drift.features[0].p_value_corrected < 0.05);
    assert.ok(drift.features[0].p_value_corrected < 1e-10, `p = ${drift.features[0].p_value_corrected}`);
    assert.ok(drift.features[0].distance > 0.3);
    assert.deepEqual(drift.features.filter((f: { is_drift: boolean }) => f.is_drift).map((f: { name: string }) => f.name), ["f0"]);
    assert.equal(await metric(s.base, "inferstack_drift_detected", { model: "iris" }), 1);
    const p = await metric(s.base, "inferstack_drift_p_value", { model: "iris", feature: "f0" });
    assert.ok(p !== undefined && p < 0.05, `gauge p = ${p}`);
    assert.equal(p, drift.features[0].p_value_corrected);
  } finally {
    await s.close();
  }
});

test("an extreme instance is an outlier; normal ones are not", async () => {
  const s = await start(irisConfig());
  try {
    const r = await postEvent(s.base, kserveEvent({ id: "out-1", model: "iris", data: { instances: [[0.1, -0.2, 0.3, 0], [40, -40, 40, -40]] } }));
    assert.equal(r.status, 200);
    assert.equal(r.headers["ce-type"], "io.inferstack.monitor.outlier");
    const o = r.json.outlier;
    assert.deepEqual(o.is_outlier, [false, true]);
    assert.equal(o.outlier_count, 1);
    assert.equal(o.quantile, 0.99);
    // Reference is N(0, I₄): the 99% distance is about √χ²₄(0.99) = √13.28 ≈ 3.64.
    assert.ok(o.threshold > 3.2 && o.threshold < 4.1, `threshold ${o.threshold}`);
    assert.ok(o.scores[1] > 50, `score ${o.scores[1]}`);
    assert.equal(r.json.drift, undefined);
    const ok = await postEvent(s.base, kserveEvent({ id: "out-2", model: "iris", data: { instances: [[0, 0, 0, 0]] } }));
    assert.equal(ok.status, 202);
    assert.equal(ok.text, "");
    assert.equal(await metric(s.base, "inferstack_outlier_instances_total", { model: "iris" }), 1);
    assert.equal(await metric(s.base, "inferstack_scored_instances_total", { model: "iris" }), 3);
    assert.equal(await metric(s.base, "inferstack_outlier_score_count", { model: "iris" }), 3);
    assert.equal(await metric(s.base, "inferstack_monitor_event_duration_seconds_count", { type: "request" }), 2);
  } finally {
    await s.close();
  }
});

test("v2 (Open Inference Protocol) request events, structured mode", async () => {
  const s = await start(irisConfig());
  try {
    const data = {
      inputs: [{ name: "input-0", shape: [3, 4], datatype: "FP32", data: [0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 30, 30, 30, 30] }],
    };
    const r = await postEvent(s.base, kserveEvent({ id: "v2-1", model: "iris", data }), "structured");
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.outlier.is_outlier, [false, false, true]);
    assert.equal(await metric(s.base, "inferstack_drift_window_size", { model: "iris" }), 3);
  } finally {
    await s.close();
  }
});

test("reply modes: 'always' replies with every result, 'never' only acknowledges", async () => {
  const always = await start(irisConfig({ drift: { windowSize: 100, minSamples: 50 } }), { replyMode: "always" });
  try {
    const first = await postEvent(always.base, kserveEvent({ id: "a-0", model: "iris", data: { instances: [[0, 0, 0, 0]] } }));
    assert.equal(first.headers["ce-type"], "io.inferstack.monitor.outlier");
    assert.equal(first.json.outlier.outlier_count, 0);
    const rows = normalRows(400, 60, 4);
    const r = await postEvent(always.base, kserveEvent({ id: "a-1", model: "iris", data: { instances: rows } }));
    assert.equal(r.json.drift.window_size, 61);
    assert.equal(typeof r.json.drift.is_drift, "boolean");
    // Detections take precedence; with nothing detected "always" still replies with the drift result.
    const expected = r.json.drift.is_drift
      ? "io.inferstack.monitor.drift"
      : r.json.outlier.outlier_count > 0
        ? "io.inferstack.monitor.outlier"
        : "io.inferstack.monitor.drift";
    assert.equal(r.headers["ce-type"], expected);
  } finally {
    await always.close();
  }
  const never = await start(irisConfig(), { replyMode: "never" });
  try {
    const r = await postEvent(never.base, kserveEvent({ id: "n-0", model: "iris", data: { instances: [[90, 90, 90, 90]] } }));
    assert.equal(r.status, 202);
    assert.equal(await metric(never.base, "inferstack_outlier_instances_total", { model: "iris" }), 1);
  } finally {
    await never.close();
  }
});

test("categorical features drift through the HTTP path (chi-squared)", async () => {
  const ref = normalRows(500, 600, 1).map((r, i) => [r[0], ["a", "b", "c"][i % 3]]);
  const s = await start({
    models: {
      shop: {
        features: [{ name: "amount", type: "numeric" }, { name: "channel", type: "categorical" }],
        task: "regression",
        reference: { inline: ref },
        drift: { windowSize: 120, minSamples: 60, correction: "fdr" },
      },
    },
  });
  try {
    const traffic = normalRows(501, 120, 1).map((r) => [r[0], "c"]);
    const reply = await postEvent(s.base, kserveEvent({ id: "shop-1", model: "shop", data: { instances: traffic } }));
    assert.equal(reply.headers["ce-type"], "io.inferstack.monitor.drift");
    const channel = reply.json.drift.features[1];
    assert.equal(channel.test, "chi2");
    assert.equal(channel.is_drift, true);
    assert.equal(reply.json.drift.correction, "fdr");
    assert.equal(reply.json.drift.features[0].is_drift, false);
    assert.ok((await metric(s.base, "inferstack_drift_distance", { model: "shop", feature: "channel" }))! > 0.3);
  } finally {
    await s.close();
  }
});

test("GET endpoints: healthz, readyz, metrics content type, 404 and 405", async () => {
  const s = await start(irisConfig(), { defaultMetrics: true });
  try {
    assert.deepEqual((await get(s.base, "/healthz")).json, { status: "ok" });
    const ready = await get(s.base, "/readyz");
    assert.equal(ready.status, 200);
    assert.equal(ready.json.models.iris.status, "ready");
    const m = await get(s.base, "/metrics");
    assert.match(m.headers["content-type"], /^text\/plain/);
    assert.match(m.text, /^process_cpu_user_seconds_total /m);
    assert.match(m.text, /^# TYPE inferstack_monitor_events_total counter/m);
    assert.equal((await get(s.base, "/nope")).status, 404);
    const wrong = await get(s.base, "/");
    assert.equal(wrong.status, 405);
    assert.match(wrong.json.error, /POST/);
    assert.equal(REQUEST, "org.kubeflow.serving.inference.request");
  } finally {
    await s.close();
  }
});

test("drift is checked at most once per checkIntervalMs, and once more after the last request", async () => {
  const s = await start(irisConfig({ drift: { windowSize: 200, minSamples: 50, pValue: 0.05, checkIntervalMs: 300 } }));
  try {
    const shifted = normalRows(210, 200, 4, [3, 0, 0, 0]);
    // The first check runs as soon as minSamples is reached, on that request.
    const first = await postEvent(s.base, kserveEvent({ id: "i-0", model: "iris", data: { instances: normalRows(211, 60, 4) } }));
    assert.ok(first.status === 202 || first.status === 200, first.text);
    const checkedAt = (await get(s.base, "/status")).json.models.iris.last_drift.checked_at;
    // Within the interval: the window moves, the gauges do not (yet).
    const r = await postEvent(s.base, kserveEvent({ id: "i-1", model: "iris", data: { instances: shifted.slice(0, 140) } }));
    assert.notEqual(r.headers["ce-type"], "io.inferstack.monitor.drift");
    assert.equal(await metric(s.base, "inferstack_drift_detected", { model: "iris" }), 0);
    assert.equal((await get(s.base, "/status")).json.models.iris.last_drift.checked_at, checkedAt);
    // The trailing check catches up without further traffic.
    await new Promise((res) => setTimeout(res, 450));
    assert.equal(await metric(s.base, "inferstack_drift_detected", { model: "iris" }), 1);
    assert.equal((await get(s.base, "/status")).json.models.iris.last_drift.window_size, 200);
    // After the interval a request runs the check itself and replies with it.
    await new Promise((res) => setTimeout(res, 320));
    const later = await postEvent(s.base, kserveEvent({ id: "i-2", model: "iris", data: { instances: shifted.slice(140, 150) } }));
    assert.equal(later.headers["ce-type"], "io.inferstack.monitor.drift");
  } finally {
    await s.close();
  }
});
