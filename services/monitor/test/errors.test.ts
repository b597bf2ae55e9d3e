import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { CloudEvent, HTTP } from "cloudevents";
import { REQUEST, RESPONSE, get, kserveEvent, metric, normalRows, postEvent, postRaw, numericModel, eventErrors, withServer } from "./helpers";

const config = { models: { iris: numericModel(["a", "b", "c"], "classification", 800, 200) } };
const errors = eventErrors;

test("bad input gets a 4xx with a JSON error, is counted, and the server keeps serving", async () => {
  await withServer(config, { maxBodyBytes: 64 * 1024 }, async (s) => {
    const ok = () => postEvent(s.base, kserveEvent({ id: `ok-${Math.random()}`, model: "iris", data: { instances: [[0, 0, 0]] } }));

    // Binary-mode event whose JSON data is broken.
    const broken = await postRaw(s.base, "/", "{bad json", {
      "content-type": "application/json",
      "ce-id": "x1",
      "ce-specversion": "1.0",
      "ce-type": REQUEST,
      "ce-source": "http://localhost:9081/",
      "ce-inferenceservicename": "iris",
    });
    assert.equal(broken.status, 400);
    assert.match(broken.json.error, /not valid JSON/);
    assert.equal(await errors(s.base, "iris", "malformed"), 1);

    // Not a CloudEvent at all.
    const plain = await postRaw(s.base, "/", JSON.stringify({ instances: [[1, 2, 3]] }), { "content-type": "application/json" });
    assert.equal(plain.status, 400);
    assert.match(plain.json.error, /not a valid CloudEvent/);
    assert.equal(await errors(s.base, "unknown", "malformed"), 1);

    // Structured event missing the required "source".
    const nosource = await postRaw(s.base, "/", JSON.stringify({ specversion: "1.0", id: "x2", type: REQUEST, data: {} }), {
      "content-type": "application/cloudevents+json",
    });
    assert.equal(nosource.status, 400);
    assert.match(nosource.json.error, /invalid CloudEvent.*source/);

    // No inferenceservicename extension.
    const anonymous = await postEvent(s.base, kserveEvent({ id: "x3", data: { instances: [[1, 2, 3]] } }));
    assert.equal(anonymous.status, 400);
    assert.match(anonymous.json.error, /inferenceservicename/);
    assert.equal(await errors(s.base, "unknown", "malformed"), 3);

    // Data that is neither v1 nor v2.
    const shape = await postEvent(s.base, kserveEvent({ id: "x4", model: "iris", data: { rows: [] } }));
    assert.equal(shape.status, 400);
    assert.match(shape.json.error, /'instances'.*'inputs'/);
    assert.equal(await errors(s.base, "iris", "malformed"), 2);

    // Unknown model.
    const unknown = await postEvent(s.base, kserveEvent({ id: "x5", model: "nope", data: { instances: [[1, 2, 3]] } }));
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.error, 'model "nope" is not configured (configured: iris)');
    // Unconfigured names never create series of their own (bounded label set).
    assert.equal(await errors(s.base, "unknown", "unknown_model"), 1);
    assert.equal(await errors(s.base, "nope", "unknown_model"), undefined);

    // Wrong feature count, in a request and in a batch where only the second instance is wrong.
    const count = await postEvent(s.base, kserveEvent({ id: "x6", model: "iris", data: { instances: [[1, 2]] } }));
    assert.equal(count.status, 400);
    assert.equal(count.json.error, 'instance 0 has 2 values, model "iris" expects 3 features (a, b, c)');
    const partial = await postEvent(s.base, kserveEvent({ id: "x7", model: "iris", data: { instances: [[1, 2, 3], [1, 2, 3, 4]] } }));
    assert.equal(partial.status, 400);
    assert.equal(await errors(s.base, "iris", "feature_count"), 2);
    // A rejected batch leaves the window untouched.
    assert.equal(await metric(s.base, "inferstack_drift_window_size", { model: "iris" }), 0);

    // Unsupported event type.
    const other = await postEvent(s.base, kserveEvent({ id: "x8", model: "iris", type: "com.example.other", data: {} }));
    assert.equal(other.status, 400);
    assert.match(other.json.error, /unsupported CloudEvent type "com.example.other"/);
    assert.equal(await errors(s.base, "iris", "unsupported_type"), 1);

    // Feedback for an id that was never logged, and for one whose response has not arrived.
    const missing = await postRaw(s.base, "/feedback", JSON.stringify({ model: "iris", id: "never", truth: [1] }), { "content-type": "application/json" });
    assert.equal(missing.status, 404);
    assert.match(missing.json.error, /no logged inference with id "never" for model "iris"/);
    await postEvent(s.base, kserveEvent({ id: "pending", model: "iris", data: { instances: [[0, 0, 0]] } }));
    const pending = await postRaw(s.base, "/feedback", JSON.stringify({ model: "iris", id: "pending", truth: [1] }));
    assert.equal(pending.status, 404);
    assert.match(pending.json.error, /response has not arrived yet/);
    const byInstance = await postRaw(s.base, "/feedback", JSON.stringify({ model: "iris", instances: [[5, 5, 5]], truth: [1] }));
    assert.equal(byInstance.status, 404);
    assert.equal(await errors(s.base, "iris", "unknown_id"), 3);

    // Feedback with the wrong number of truth values, bad JSON, or missing fields.
    await postEvent(s.base, kserveEvent({ id: "pending", model: "iris", type: RESPONSE, data: { predictions: [1] } }));
    const mismatch = await postRaw(s.base, "/feedback", JSON.stringify({ model: "iris", id: "pending", truth: [1, 0] }));
    assert.equal(mismatch.status, 400);
    assert.match(mismatch.json.error, /truth has 2 values but request "pending" has 1 predictions/);
    assert.equal(await errors(s.base, "iris", "length_mismatch"), 1);
    const badFeedback = await postRaw(s.base, "/feedback", "{");
    assert.equal(badFeedback.status, 400);
    assert.match(badFeedback.json.error, /not valid JSON/);
    const noTruth = await postRaw(s.base, "/feedback", JSON.stringify({ model: "iris", id: "pending" }));
    assert.equal(noTruth.status, 400);
    assert.match(noTruth.json.error, /truth/);
    const noKey = await postRaw(s.base, "/feedback", JSON.stringify({ model: "iris", truth: [1] }));
    assert.equal(noKey.status, 400);
    assert.match(noKey.json.error, /"id".*"instances"/);
    const badTruth = await postRaw(s.base, "/feedback", JSON.stringify({ model: "iris", id: "pending", truth: [{ x: 1 }] }));
    assert.equal(badTruth.status, 400);
    assert.match(badTruth.json.error, /truth\[0\]/);
    // The failed attempt counted nothing, so a correct one still succeeds.
    const good = await postRaw(s.base, "/feedback", JSON.stringify({ model: "iris", id: "pending", truth: [1] }));
    assert.equal(good.status, 200);
    assert.equal(good.json.metrics.accuracy, 1);

    // Too large, with a declared length…
    const big = await postRaw(s.base, "/", Buffer.alloc(100 * 1024, 0x20), { "content-type": "application/json", "ce-id": "big" });
    assert.equal(big.status, 413);
    assert.match(big.json.error, /exceeds the limit of 65536 bytes/);
    // …and chunked without one.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${s.base}/`, { method: "POST", headers: { "content-type": "application/json", "ce-id": "big2" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      for (let i = 0; i < 10; i++) req.write(Buffer.alloc(16 * 1024, 0x20));
      req.end();
    });
    assert.equal(chunked, 413);
    assert.equal(await errors(s.base, "unknown", "too_large"), 2);

    // Still alive and still correct.
    assert.equal((await get(s.base, "/healthz")).status, 200);
    const after = await ok();
    assert.ok(after.status === 202 || after.status === 200, after.text);
    assert.equal(await metric(s.base, "inferstack_drift_window_size", { model: "iris" }), 2);
  });
});

test("base64 (data_base64) structured events are decoded", async () => {
  await withServer(config, async (s) => {
    const ev = new CloudEvent({
      id: "b64",
      type: REQUEST,
      source: "http://localhost:9081/",
      inferenceservicename: "iris",
      data_base64: Buffer.from(JSON.stringify({ instances: [[0, 0, 0]] })).toString("base64"),
    });
    const msg = HTTP.structured(ev);
    const r = await postRaw(s.base, "/", msg.body as string, msg.headers as Record<string, string>);
    assert.equal(r.status, 202, r.text);
    assert.equal(await metric(s.base, "inferstack_drift_window_size", { model: "iris" }), 1);
  });
});

test("readiness waits for reference data; events get 503 meanwhile; failed loads are retried", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let attempts = 0;
  await withServer(config, {
    retryDelayMs: 10,
    loadReference: async () => {
      attempts++;
      if (attempts === 1) throw new Error("minio unreachable");
      await gate;
      return normalRows(801, 200, 3);
    },
  }, async (s) => {
    const notReady = await get(s.base, "/readyz");
    assert.equal(notReady.status, 503);
    assert.equal(notReady.json.status, "loading");
    assert.equal((await get(s.base, "/healthz")).status, 200);
    const early = await postEvent(s.base, kserveEvent({ id: "early", model: "iris", data: { instances: [[0, 0, 0]] } }));
    assert.equal(early.status, 503);
    assert.match(early.json.error, /still loading/);
    assert.equal(await errors(s.base, "iris", "not_ready"), 1);
    release();
    await s.monitor.ready;
    assert.equal(attempts, 2);
    const ready = await get(s.base, "/readyz");
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.json.models, { iris: { status: "ready" } });
    const later = await postEvent(s.base, kserveEvent({ id: "later", model: "iris", data: { instances: [[0, 0, 0]] } }));
    assert.equal(later.status, 202);
  });
});
