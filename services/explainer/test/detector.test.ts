/**
 * The adversarial detector fed CloudEvents shaped like KServe's logger's, against the fixture predictor: scores
 * equal the feature-squeezing definition computed here independently, flagged requests get a reply event,
 * sampling bounds the extra predictor load, and bad events get clear 4xx.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CloudEvent, HTTP } from "cloudevents";
import { EVENT_TYPES } from "../../shared/eventTypes";
import { detectorConfigSchema, parseWith } from "../src/config";
import { createDetectorServer, FLAGGED_TYPE, sampledIn, type DetectorServer } from "../src/detector";
import { silentLogger } from "../../shared/logger";
import { startFixture, type Fixture } from "./fixture";
import { models } from "./groundTruth";
import { normal } from "./random";

let fixture: Fixture;
before(async () => {
  fixture = await startFixture(models);
});
after(() => fixture.close());

async function startDetector(modelsCfg: Record<string, unknown>, extra: Record<string, unknown> = {}, reference?: number[][]): Promise<{ d: DetectorServer; url: string; close: () => Promise<void> }> {
  const config = parseWith(detectorConfigSchema, { models: modelsCfg, ...extra }, "detector config");
  const d = createDetectorServer({ config, loadReference: async () => reference ?? [], logger: silentLogger, defaultMetrics: false, retryDelayMs: 10 });
  const addr = await d.listen(0, "127.0.0.1");
  await d.ready;
  return { d, url: `http://127.0.0.1:${addr.port}/`, close: () => d.close(1000) };
}

/** A binary-mode request event as KServe's logger sends it (pkg/logger/worker.go: id, type, source, extensions). */
async function send(url: string, id: string, data: unknown, model = "softmax", headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "ce-specversion": "1.0",
      "ce-id": id,
      "ce-type": EVENT_TYPES.request,
      "ce-source": `http://localhost:9081/`,
      "ce-inferenceservicename": model,
      "ce-namespace": "models",
      "ce-component": "predictor",
      ...headers,
    },
    body: typeof data === "string" ? data : JSON.stringify(data),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

const unitRanges = [[0, 1], [0, 1], [0, 1], [0, 1]];
const softmaxCfg = { predictorHost: "", features: ["a", "b", "c", "d"], ranges: unitRanges, squeezers: [{ bitDepth: 1 }], threshold: 0.3, sampleRate: 1 };
const l1 = (a: number[], b: number[]) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0);

describe("feature squeezing on request events", () => {
  it("scores each instance as the L1 distance of predictions on it and on its squeezed copy; replies when flagged", async () => {
    const det = await startDetector({ softmax: { ...softmaxCfg, predictorHost: fixture.url } });
    try {
      // With 1 bit over [0, 1] the squeezed copy is each value rounded to 0 or 1.
      const near = [0.49, 0.26, 0.9, 0.2]; // near the class boundary: rounding moves it a lot
      const far = [0.02, 0.98, 0.01, 0.03];
      const expected = [near, far].map((x) => l1(models.softmax(x), models.softmax(x.map((v) => Math.round(v)))));
      assert.ok(expected[0] > 0.3 && expected[1] < 0.3, `test data: ${expected}`);
      fixture.calls = 0;
      const r = await send(det.url, "req-1", { instances: [near, far] });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("ce-type"), FLAGGED_TYPE);
      assert.equal(r.headers.get("ce-source"), "/inferstack/adversarial-detector/softmax");
      assert.equal(r.headers.get("ce-subject"), "req-1");
      assert.equal(r.headers.get("ce-inferenceservicename"), "softmax");
      assert.equal(r.headers.get("ce-namespace"), "models");
      assert.equal(fixture.calls, 1, "one predictor call per scored event (originals and squeezed copies together)");
      assert.deepEqual(r.json.flagged, [true, false]);
      assert.equal(r.json.flagged_count, 1);
      for (let i = 0; i < 2; i++) assert.ok(Math.abs(r.json.scores[i] - expected[i]) < 1e-12);
      const clean = await send(det.url, "req-2", { instances: [far] });
      assert.equal(clean.status, 202);
      const m = await det.d.metrics.registry.metrics();
      assert.match(m, /inferstack_adversarial_scored_instances_total\{model="softmax"\} 3/);
      assert.match(m, /inferstack_adversarial_flagged_instances_total\{model="softmax"\} 1/);
      assert.match(m, /inferstack_adversarial_score_count\{model="softmax"\} 3/);
      assert.match(m, /inferstack_adversarial_events_total\{model="softmax",outcome="scored"\} 2/);
    } finally {
      await det.close();
    }
  });

  it("takes the largest score over several squeezers, over the v2 protocol and from structured-mode events", async () => {
    const det = await startDetector({ softmax: { ...softmaxCfg, predictorHost: fixture.url, protocol: "v2", squeezers: [{ bitDepth: 1 }, { bitDepth: 2 }] } });
    try {
      const x = [0.4, 0.3, 0.7, 0.6];
      const q = (bits: number) => x.map((v) => Math.round(v * (2 ** bits - 1)) / (2 ** bits - 1));
      const expected = Math.max(l1(models.softmax(x), models.softmax(q(1))), l1(models.softmax(x), models.softmax(q(2))));
      const ev = new CloudEvent({ id: "s-1", type: EVENT_TYPES.request, source: "/x", inferenceservicename: "softmax", datacontenttype: "application/json", data: { inputs: [{ name: "input-0", shape: [1, 4], datatype: "FP64", data: x }] } });
      const msg = HTTP.structured(ev);
      const res = await fetch(det.url, { method: "POST", headers: msg.headers as Record<string, string>, body: msg.body as string });
      assert.ok(res.status === 200 || res.status === 202, String(res.status));
      const m = await det.d.metrics.registry.getSingleMetricAsString("inferstack_adversarial_score");
      const sum = Number(/inferstack_adversarial_score_sum\{model="softmax"\} ([0-9.e-]+)/.exec(m)![1]);
      assert.ok(Math.abs(sum - expected) < 1e-12, `${sum} vs ${expected}`);
    } finally {
      await det.close();
    }
  });

  it("squeezes over the reference's per-feature range when no ranges are configured", async () => {
    const reference = [[0, 0, 0, 0], [2, 2, 2, 2], [1, 1, 1, 1]];
    const { ranges: _ranges, ...cfg } = softmaxCfg;
    const det = await startDetector({ softmax: { ...cfg, reference: { inline: reference }, predictorHost: fixture.url } }, {}, reference);
    try {
      const x = [0.9, 1.2, 0.3, 1.9];
      const expected = l1(models.softmax(x), models.softmax(x.map((v) => 2 * Math.round(v / 2))));
      const r = await send(det.url, "ref-1", { instances: [x] });
      const m = await det.d.metrics.registry.getSingleMetricAsString("inferstack_adversarial_score");
      const sum = Number(/inferstack_adversarial_score_sum\{model="softmax"\} ([0-9.e-]+)/.exec(m)![1]);
      assert.ok(Math.abs(sum - expected) < 1e-12, `${sum} vs ${expected} (status ${r.status})`);
    } finally {
      await det.close();
    }
  });

  it("calibrates the threshold on the reference: the ceil((n+1)(1-rate))-th smallest score, flagging about `rate` of clean inputs", async () => {
    const g = normal(77);
    const draw = (n: number) => Array.from({ length: n }, () => Array.from({ length: 4 }, () => 0.5 + 0.25 * g()));
    const reference = draw(199);
    const { ranges: _ranges, ...cfg } = softmaxCfg;
    const det = await startDetector({ softmax: { ...cfg, predictorHost: fixture.url, squeezers: [{ bitDepth: 3 }], reference: { inline: reference }, calibration: { falsePositiveRate: 0.1 } } }, {}, reference);
    try {
      // Independently: per-feature [min, max] of the reference, 3 bits = 7 levels, L1 of the softmax outputs.
      const lo = [0, 1, 2, 3].map((j) => Math.min(...reference.map((r) => r[j])));
      const hi = [0, 1, 2, 3].map((j) => Math.max(...reference.map((r) => r[j])));
      const squeeze = (x: number[]) => x.map((v, j) => lo[j] + (Math.round(Math.min(1, Math.max(0, (v - lo[j]) / (hi[j] - lo[j]))) * 7) / 7) * (hi[j] - lo[j]));
      const scoreOf = (x: number[]) => l1(models.softmax(x), models.softmax(squeeze(x)));
      const sorted = reference.map(scoreOf).sort((a, b) => a - b);
      const expected = sorted[Math.ceil(200 * 0.9) - 1];
      const status = (await (await fetch(det.url.replace(/\/$/, "/readyz"))).json()) as any;
      assert.ok(Math.abs(status.models.softmax.threshold - expected) < 1e-12, `${status.models.softmax.threshold} vs ${expected}`);
      assert.match(await det.d.metrics.registry.getSingleMetricAsString("inferstack_adversarial_threshold"), new RegExp(`model="softmax"\\} ${expected}`.replace(/\./g, "\\.")));
      // Fresh clean inputs from the same distribution: flagged at about the rate (conformal: at most 0.1 on average).
      const fresh = draw(400);
      for (let i = 0; i < fresh.length; i += 20) await send(det.url, `clean-${i}`, { instances: fresh.slice(i, i + 20) });
      const m = await det.d.metrics.registry.getSingleMetricAsString("inferstack_adversarial_flagged_instances_total");
      const flagged = Number(/model="softmax"\} (\d+)/.exec(m)?.[1] ?? 0);
      const expectedFlagged = fresh.filter((x) => scoreOf(x) > expected).length;
      assert.equal(flagged, expectedFlagged);
      assert.ok(flagged / 400 > 0.03 && flagged / 400 < 0.2, `clean flag rate ${flagged / 400}`);
    } finally {
      await det.close();
    }
  });

  it("scores only the sampled fraction (one predictor call each), decided by the event id so redeliveries agree", async () => {
    const det = await startDetector({ softmax: { ...softmaxCfg, predictorHost: fixture.url, sampleRate: 0.25, threshold: 5 } });
    try {
      fixture.calls = 0;
      const n = 400;
      for (let i = 0; i < n; i++) assert.equal((await send(det.url, `0f6c${i}-a1b2`, { instances: [[0.1, 0.2, 0.3, 0.4]] })).status, 202);
      // Binomial(400, 0.25): mean 100, sd 8.7; the draw is a fixed hash, so this is deterministic, but the bound is honest.
      assert.ok(fixture.calls > 65 && fixture.calls < 135, `${fixture.calls} of ${n} scored`);
      const sampled = Array.from({ length: n }, (_, i) => sampledIn(`0f6c${i}-a1b2`, 0.25)).filter(Boolean).length;
      assert.equal(fixture.calls, sampled);
      const m = await det.d.metrics.registry.getSingleMetricAsString("inferstack_adversarial_events_total");
      assert.match(m, new RegExp(`outcome="sampled_out"\\} ${n - sampled}`));
    } finally {
      await det.close();
    }
  });

  it("ignores the platform's own predictor calls (Ce-Id inferstack-...) and metadata requests without calling the predictor", async () => {
    const det = await startDetector({ softmax: { ...softmaxCfg, predictorHost: fixture.url } });
    try {
      fixture.calls = 0;
      assert.equal((await send(det.url, "inferstack-explainer-1234", { instances: [[0.5, 0.5, 0.5, 0.5]] })).status, 202);
      assert.equal((await send(det.url, "inferstack-adversarial-1234", { instances: [[0.5, 0.5, 0.5, 0.5]] })).status, 202);
      assert.equal((await send(det.url, "get-1", "")).status, 202);
      assert.equal(fixture.calls, 0);
      const m = await det.d.metrics.registry.getSingleMetricAsString("inferstack_adversarial_events_total");
      assert.match(m, /outcome="own"\} 2/);
      assert.match(m, /outcome="metadata"\} 1/);
    } finally {
      await det.close();
    }
  });

  it("clear 4xx for bad events (label 'unknown' for unconfigured models); 503 when the predictor is down, so the Broker retries", async () => {
    const det = await startDetector({ softmax: { ...softmaxCfg, predictorHost: fixture.url }, down: { ...softmaxCfg, predictorHost: "127.0.0.1:9" } });
    try {
      const cases: [Promise<{ status: number; json: any }>, number, string, RegExp][] = [
        [send(det.url, "e1", { instances: [[1, 2, 3, 4]] }, "iris"), 400, "unknown_model", /model "iris" is not configured/],
        [send(det.url, "e2", { instances: [[1, 2, 3]] }), 400, "feature_count", /instance 0 has 3 values, the model has 4 features/],
        [send(det.url, "e3", "{broken"), 400, "malformed", /not valid JSON/],
        [send(det.url, "e4", { instances: [[1, 2, 3, 4]] }, "softmax", { "ce-type": EVENT_TYPES.response }), 400, "unsupported_type", /unsupported CloudEvent type/],
        [send(det.url, "e5", { instances: [[1, 2, 3, 4]] }, "softmax", { "ce-specversion": "0.3" }), 400, "unsupported_version", /specversion "0.3"/],
        [send(det.url, "", { instances: [[1, 2, 3, 4]] }), 400, "malformed", /missing required attribute\(s\) ce-id/],
        [send(det.url, "e7", { instances: [[1, 2, 3, 4]] }, "down"), 503, "predictor_unavailable", /cannot reach the predictor/],
      ];
      for (const [p, status, reason, message] of cases) {
        const r = await p;
        assert.equal(r.status, status, JSON.stringify(r.json));
        assert.equal(r.json.reason, reason);
        assert.match(r.json.error, message);
      }
      const m = await det.d.metrics.registry.getSingleMetricAsString("inferstack_adversarial_event_errors_total");
      assert.match(m, /model="unknown",reason="unknown_model"\} 1/);
      assert.doesNotMatch(m, /iris/);
      assert.match(m, /model="down",reason="predictor_unavailable"\} 1/);
      assert.equal((await fetch(det.url)).status, 405);
      assert.equal((await fetch(det.url.replace(/\/$/, "/readyz"))).status, 200);
    } finally {
      await det.close();
    }
  });
});
