import { test } from "node:test";
import assert from "node:assert/strict";
import { HTTP } from "cloudevents";
import { RESPONSE, kserveEvent, metric, normalRows, postRaw, type Running, numericModel, withServer } from "./helpers";
import { VERSION_ANNOTATION, versionFromEvent } from "../src/versions";

const STABLE = "0123456789ab";
const CANARY = "fedcba987654";

const config = {
  models: {
    iris: numericModel(["a", "b"], "classification", 900, 300, { drift: { windowSize: 200, minSamples: 50, checkIntervalMs: 0 } }),
  },
};

/** A logged exchange as KServe's logger sends it (binary mode), naming the version in the `annotations` extension. */
async function exchange(s: Running, id: string, rows: number[][], predictions: number[], version?: string): Promise<void> {
  for (const [type, data] of [
    [undefined, { instances: rows }],
    [RESPONSE, { predictions }],
  ] as const) {
    const msg = HTTP.binary(kserveEvent({ id, model: "iris", type, data }));
    const headers = { ...(msg.headers as Record<string, string>) };
    if (version !== undefined) headers["ce-annotations"] = JSON.stringify({ [VERSION_ANNOTATION]: version });
    const r = await postRaw(s.base, "/", msg.body as string, headers);
    assert.ok(r.status === 200 || r.status === 202, r.text);
  }
}

async function feedback(s: Running, id: string, truth: number[]): Promise<void> {
  const r = await postRaw(s.base, "/feedback", JSON.stringify({ model: "iris", id, truth }), { "content-type": "application/json" });
  assert.equal(r.status, 200, r.text);
}

test("versionFromEvent: only a 12-hex-digit inferstack.io/model-version is a version", () => {
  assert.equal(versionFromEvent(JSON.stringify({ [VERSION_ANNOTATION]: STABLE })), STABLE);
  assert.equal(versionFromEvent({ [VERSION_ANNOTATION]: CANARY, other: "x" }), CANARY);
  for (const bad of [undefined, "", "not json", "[]", JSON.stringify({ [VERSION_ANNOTATION]: "v2" }), JSON.stringify({ [VERSION_ANNOTATION]: "0123456789AB" }), JSON.stringify({ other: STABLE }), JSON.stringify({ [VERSION_ANNOTATION]: STABLE, pad: "x".repeat(5000) })]) {
    assert.equal(versionFromEvent(bad), undefined, String(bad).slice(0, 80));
  }
});

test("per-version metrics: the canary's drift, outliers and accuracy apart from stable's", async () => {
  await withServer(config, async (s) => {
    const clean = normalRows(901, 150, 2);
    const shifted = normalRows(902, 150, 2, [3, 3]);
    for (let i = 0; i < 30; i++) {
      const stableRows = clean.slice(i * 5, i * 5 + 5);
      await exchange(s, `s-${i}`, stableRows, [0, 1, 0, 1, 0], STABLE);
      await exchange(s, `c-${i}`, shifted.slice(i * 5, i * 5 + 5), [0, 1, 0, 1, 0], CANARY);
      await exchange(s, `n-${i}`, stableRows, [0, 1, 0, 1, 0]);
      await feedback(s, `s-${i}`, [0, 1, 0, 1, 0]);
      await feedback(s, `c-${i}`, [1, 1, 1, 1, 0]);
      await feedback(s, `n-${i}`, [0, 1, 0, 1, 0]);
    }
    const v = (name: string, version: string) => metric(s.base, name, { model: "iris", version });
    assert.equal(await v("inferstack_version_drift_detected", STABLE), 0);
    assert.equal(await v("inferstack_version_drift_detected", CANARY), 1);
    assert.equal(await v("inferstack_version_scored_instances_total", STABLE), 150);
    assert.equal(await v("inferstack_version_scored_instances_total", CANARY), 150);
    assert.ok((await v("inferstack_version_outlier_instances_total", CANARY))! > 100, "shifted rows are mostly outliers");
    assert.ok((await v("inferstack_version_outlier_instances_total", STABLE))! < 15);
    assert.equal(await v("inferstack_version_feedback_window_accuracy", STABLE), 1);
    assert.equal(await v("inferstack_version_feedback_window_accuracy", CANARY), 0.6);
    assert.equal(await v("inferstack_version_feedback_window_count", CANARY), 150);
    // The model-level metrics still count everything (450 instances, with and without a version).
    assert.equal(await metric(s.base, "inferstack_scored_instances_total", { model: "iris" }), 450);
    assert.equal(await metric(s.base, "inferstack_feedback_total", { model: "iris" }), 450);
  });
});

test("per-version series are bounded: the least recently seen version is evicted with its series", async () => {
  await withServer(config, { maxVersionsPerModel: 2 }, async (s) => {
    const rows = normalRows(903, 5, 2);
    const versions = ["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"];
    for (const [i, version] of versions.entries()) {
      await exchange(s, `e-${i}`, rows, [0, 0, 0, 0, 0], version);
      await feedback(s, `e-${i}`, [0, 0, 0, 0, 0]);
    }
    const text = (await (await fetch(`${s.base}/metrics`)).text()).split("\n").filter((l) => l.startsWith("inferstack_version_"));
    assert.ok(!text.some((l) => l.includes("aaaaaaaaaaaa")), `evicted version still exported:\n${text.join("\n")}`);
    for (const version of versions.slice(1)) assert.equal(await metric(s.base, "inferstack_version_scored_instances_total", { model: "iris", version }), 5);
    // A malformed version creates no series at all.
    await exchange(s, "bad", rows, [0, 0, 0, 0, 0], "release-2024");
    const after = (await (await fetch(`${s.base}/metrics`)).text()).split("\n").filter((l) => l.startsWith("inferstack_version_scored"));
    assert.equal(after.length, 2);
  });
});
