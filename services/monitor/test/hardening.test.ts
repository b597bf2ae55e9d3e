import { test } from "node:test";
import assert from "node:assert/strict";
import { HTTP } from "cloudevents";
import { REQUEST, RESPONSE, get, kserveEvent, metric, postEvent, postRaw, numericModel, eventErrors, withServer } from "./helpers";
import { exceedsJsonDepth } from "../../shared/http";

const config = { models: { iris: numericModel(["a", "b", "c"], "classification", 810, 200) } };

const binaryHeaders = (extra: Record<string, string> = {}) => ({
  "content-type": "application/json",
  "ce-id": "h1",
  "ce-specversion": "1.0",
  "ce-type": REQUEST,
  "ce-source": "http://localhost:9081/",
  "ce-inferenceservicename": "iris",
  ...extra,
});

const errors = eventErrors;

test("depth scan: strings and escapes do not count, brackets do", () => {
  assert.equal(exceedsJsonDepth('{"a": [[1]]}', 3), false);
  assert.equal(exceedsJsonDepth('{"a": [[[1]]]}', 3), true);
  assert.equal(exceedsJsonDepth('{"a": "[[[[[[\\"[[[["}', 1), false);
  assert.equal(exceedsJsonDepth("[".repeat(1_000_000), 64), true);
});

test("deeply nested JSON gets a 400 (never a stack overflow / 500) on every entry point", async () => {
  await withServer(config, async (s) => {
    const deep = (n: number) => `{"instances": ${"[".repeat(n)}1${"]".repeat(n)}}`;
    for (const depth of [100, 6000, 100_000]) {
      const r = await postRaw(s.base, "/", deep(depth), binaryHeaders({ "ce-id": `deep-${depth}` }));
      assert.equal(r.status, 400, `binary depth ${depth}: ${r.text}`);
      assert.match(r.json.error, /deeper than 64 levels/);
    }
    const structured = `{"specversion":"1.0","id":"d","type":"${REQUEST}","source":"/x","inferenceservicename":"iris","data":${deep(6000)}}`;
    let r = await postRaw(s.base, "/", structured, { "content-type": "application/cloudevents+json" });
    assert.equal(r.status, 400, r.text);
    // data_base64 is decoded later: checked again then.
    const b64 = JSON.stringify({ specversion: "1.0", id: "d64", type: REQUEST, source: "/x", inferenceservicename: "iris", data_base64: Buffer.from(deep(6000)).toString("base64") });
    r = await postRaw(s.base, "/", b64, { "content-type": "application/cloudevents+json" });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error, /deeper than 64/);
    r = await postRaw(s.base, "/feedback", `{"model":"iris","truth":${"[".repeat(6000)}${"]".repeat(6000)}}`, { "content-type": "application/json" });
    assert.equal(r.status, 400, r.text);
    r = await postRaw(s.base, "/api/v1.0/feedback", `{"truth":{"data":{"ndarray":${"[".repeat(6000)}${"]".repeat(6000)}}}}`, { "content-type": "application/json" });
    assert.equal(r.status, 400, r.text);
    assert.equal(await errors(s.base, "iris", "too_deep"), 4);
    assert.equal(await errors(s.base, "unknown", "too_deep"), 3);
    assert.equal(await errors(s.base, "unknown", "internal"), undefined);
    assert.equal(await errors(s.base, "iris", "internal"), undefined);
    // Nesting a real payload needs (v2 tensors, score vectors) is well within the limit.
    r = await postEvent(s.base, kserveEvent({ id: "ok", model: "iris", data: { inputs: [{ name: "x", shape: [1, 3], datatype: "FP64", data: [[[0, 0, 0]]] }] } }));
    assert.equal(r.status, 202, r.text);
  });
});

test("model label values from untrusted input are capped to the configured models", async () => {
  await withServer(config, async (s) => {
    for (let i = 0; i < 50; i++) {
      const r = await postEvent(s.base, kserveEvent({ id: `u${i}`, model: `attacker-${i}`, data: { instances: [[1, 2, 3]] } }));
      assert.equal(r.status, 400);
      await postRaw(s.base, "/feedback", JSON.stringify({ model: `fb-${i}`, id: "x", truth: [1] }), { "content-type": "application/json" });
      await postRaw(s.base, "/", "{", binaryHeaders({ "ce-inferenceservicename": `bad-${i}` }));
    }
    const text = (await get(s.base, "/metrics")).text;
    const values = new Set([...text.matchAll(/model="([^"]*)"/g)].map((m) => m[1]));
    assert.deepEqual([...values].sort(), ["iris", "unknown"].filter((v) => values.has(v)).sort());
    assert.ok(!values.has("attacker-0"));
    assert.equal(await errors(s.base, "unknown", "unknown_model"), 150);
  });
});

test("KServe logger events for metadata/health GETs are accepted and ignored", async () => {
  await withServer(config, async (s) => {
    // A GET has no body: the request event carries no data.
    let r = await postRaw(s.base, "/", "", binaryHeaders({ "ce-id": "meta-1" }));
    assert.equal(r.status, 202, r.text);
    // Its response is model metadata (v1 and v2 shapes).
    for (const [i, data] of [
      { name: "iris", ready: true },
      { name: "iris", versions: ["1"], platform: "sklearn", inputs: [{ name: "x", datatype: "FP64", shape: [-1, 3] }], outputs: [{ name: "y", datatype: "INT64", shape: [-1] }] },
      { ready: true },
      { name: "kserve", version: "0.20.0", extensions: [] },
    ].entries()) {
      r = await postEvent(s.base, kserveEvent({ id: `meta-${i}`, model: "iris", type: RESPONSE, data }));
      assert.equal(r.status, 202, r.text);
    }
    assert.equal(await metric(s.base, "inferstack_monitor_events_total", { model: "iris", type: "metadata" }), 5);
    const text = (await get(s.base, "/metrics")).text;
    assert.ok(!/inferstack_monitor_event_errors_total\{/.test(text), text.split("\n").filter((l) => l.includes("errors_total")).join("\n"));
    // Inference responses are still decoded (and a response that is neither is still an error).
    r = await postEvent(s.base, kserveEvent({ id: "inf", model: "iris", type: RESPONSE, data: { outputs: [{ name: "y", shape: [1], datatype: "INT64", data: [1] }] } }));
    assert.equal(r.status, 202);
    r = await postEvent(s.base, kserveEvent({ id: "junk", model: "iris", type: RESPONSE, data: { foo: 1 } }));
    assert.equal(r.status, 400);
  });
});

test("unsupported CloudEvents specversion gets a 400 naming it", async () => {
  await withServer(config, async (s) => {
    let r = await postRaw(s.base, "/", JSON.stringify({ instances: [[1, 2, 3]] }), binaryHeaders({ "ce-specversion": "2.0" }));
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error, /unsupported CloudEvents specversion "2.0" \(supported: 1.0\)/);
    r = await postRaw(s.base, "/", JSON.stringify({ instances: [[1, 2, 3]] }), binaryHeaders({ "ce-specversion": "0.3" }));
    assert.equal(r.status, 400, r.text);
    const structured = JSON.stringify({ specversion: "9.9", id: "s", type: REQUEST, source: "/x", inferenceservicename: "iris", data: { instances: [[1, 2, 3]] } });
    r = await postRaw(s.base, "/", structured, { "content-type": "application/cloudevents+json" });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error, /specversion/);
    assert.equal(await errors(s.base, "iris", "unsupported_version"), 3);
    const ok = HTTP.binary(kserveEvent({ id: "v1", model: "iris", data: { instances: [[1, 2, 3]] } }));
    assert.equal(ok.headers["ce-specversion"], "1.0");
  });
});

test("unknown paths are 404 for every method; known paths with the wrong method are 405", async () => {
  await withServer(config, async (s) => {
    for (const method of ["GET", "POST", "PUT", "DELETE"]) {
      const r = await fetch(`${s.base}/v1/models/iris:predict`, { method, body: method === "GET" ? undefined : "{}" });
      assert.equal(r.status, 404, method);
      assert.match(((await r.json()) as { error: string }).error, /no route/);
    }
    assert.equal((await fetch(`${s.base}/`, { method: "GET" })).status, 405);
    assert.equal((await fetch(`${s.base}/metrics`, { method: "POST", body: "x" })).status, 405);
    assert.equal((await fetch(`${s.base}/api/v1.0/feedback`, { method: "GET" })).status, 405);
    assert.equal((await get(s.base, "/healthz")).status, 200);
  });
});
