import { test } from "node:test";
import assert from "node:assert/strict";
import { FeedbackStats } from "../src/feedback";
import { metric, normalRows, postRaw, start } from "./helpers";

const approx = (actual: number | undefined, expected: number, what = "") =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${what} expected ${expected}, got ${actual}`);

test("windowed accuracy reflects the last windowSize labels; cumulative barely moves", () => {
  const s = new FeedbackStats({ task: "classification", feedback: { windowSize: 500 } });
  // 5,000 labels at 95 % accuracy…
  for (let i = 0; i < 5000; i++) s.update([i % 20 === 0 ? 1 : 0], [0], "m");
  approx((s.windowSnapshot() as { accuracy: number }).accuracy, 0.95, "window before");
  // …then accuracy drops to 40 %: within one window the windowed figure is 0.40, the cumulative one ≈ 0.90.
  for (let i = 0; i < 500; i++) s.update([i % 5 < 2 ? 0 : 1], [0], "m");
  const win = s.windowSnapshot();
  const all = s.snapshot();
  assert.equal(win.task, "classification");
  assert.equal(win.count, 500);
  approx((win as { accuracy: number }).accuracy, 0.4, "window after");
  assert.ok((all as { accuracy: number }).accuracy > 0.85, `cumulative ${JSON.stringify(all)}`);
  assert.equal(all.count, 5500);
});

test("windowed precision/recall/F1 equal the cumulative figures of the same last N pairs", () => {
  const g = normalRows(61, 3000, 2);
  const pairs = g.map(([a, b]) => [String(Math.floor(Math.abs(a) * 2) % 3), String(Math.floor(Math.abs(b) * 2) % 3)] as const);
  for (const positiveLabel of [undefined, "1"]) {
    const s = new FeedbackStats({ task: "classification", positiveLabel, feedback: { windowSize: 250 } });
    pairs.forEach(([p, t]) => s.update([p], [t], "m"));
    const fresh = new FeedbackStats({ task: "classification", positiveLabel });
    pairs.slice(-250).forEach(([p, t]) => fresh.update([p], [t], "m"));
    const a = s.windowSnapshot() as unknown as Record<string, unknown>;
    const b = fresh.snapshot() as unknown as Record<string, unknown>;
    for (const k of ["accuracy", "precision", "recall", "f1"]) approx(a[k] as number, b[k] as number, `${k} (${positiveLabel ?? "macro"})`);
    assert.equal(a.count, 250);
  }
});

test("windowed MAE/RMSE over the last N errors, exact after many turns of the ring", () => {
  const s = new FeedbackStats({ task: "regression", feedback: { windowSize: 100 } });
  const g = normalRows(62, 10_050, 1);
  g.forEach(([e], i) => s.update([1e6 + e * (i < 10_000 ? 1 : 10)], [1e6], "m"));
  const last = g.slice(-100).map(([e], i) => e * (10_050 - 100 + i < 10_000 ? 1 : 10));
  const mae = last.reduce((a, e) => a + Math.abs(e), 0) / 100;
  const rmse = Math.sqrt(last.reduce((a, e) => a + e * e, 0) / 100);
  const w = s.windowSnapshot() as { mae: number; rmse: number; count: number };
  assert.equal(w.count, 100);
  assert.ok(Math.abs(w.mae - mae) < 1e-6 && Math.abs(w.rmse - rmse) < 1e-6, `${JSON.stringify(w)} vs ${mae}, ${rmse}`);
});

test("window metrics are exported per configured model and documented names exist", async () => {
  const s = await start({
    models: {
      iris: {
        features: ["a", "b"].map((name) => ({ name, type: "numeric" })),
        task: "classification",
        reference: { inline: normalRows(63, 200, 2) },
        feedback: { windowSize: 10 },
      },
      house: {
        features: ["a", "b"].map((name) => ({ name, type: "numeric" })),
        task: "regression",
        reference: { inline: normalRows(64, 200, 2) },
      },
    },
  });
  try {
    const post = (body: unknown) => postRaw(s.base, "/feedback", JSON.stringify(body), { "content-type": "application/json" });
    const rows = (n: number) => Array.from({ length: n }, (_, i) => [i, i]);
    let r = await post({ model: "iris", instances: rows(40), predictions: Array(40).fill(1), truth: Array(40).fill(1) });
    assert.equal(r.status, 200, r.text);
    r = await post({ model: "iris", instances: rows(10), predictions: Array(10).fill(1), truth: [1, 1, 1, 1, 0, 0, 0, 0, 0, 0] });
    assert.equal(r.json.window_metrics.accuracy, 0.4);
    assert.equal(r.json.metrics.accuracy, 0.88);
    assert.equal(await metric(s.base, "inferstack_feedback_window_accuracy", { model: "iris" }), 0.4);
    assert.equal(await metric(s.base, "inferstack_feedback_accuracy", { model: "iris" }), 0.88);
    assert.equal(await metric(s.base, "inferstack_feedback_window_count", { model: "iris" }), 10);
    for (const n of ["precision", "recall", "f1"]) assert.notEqual(await metric(s.base, `inferstack_feedback_window_${n}`, { model: "iris" }), undefined);
    r = await post({ model: "house", instances: rows(2), predictions: [1, 2], truth: [2, 4] });
    assert.equal(await metric(s.base, "inferstack_feedback_window_mae", { model: "house" }), 1.5);
    approx(await metric(s.base, "inferstack_feedback_window_rmse", { model: "house" }), Math.sqrt(2.5));
    const status = (await fetch(`${s.base}/status`).then((x) => x.json())) as any;
    assert.equal(status.models.iris.feedback_window.size, 10);
    assert.equal(status.models.iris.feedback_window.accuracy, 0.4);
  } finally {
    await s.close();
  }
});
