import { test } from "node:test";
import assert from "node:assert/strict";
import { ExchangeStore, FeedbackStats, LruMap } from "../src/feedback";

const close = (actual: number, expected: number, what = "") =>
  assert.ok(Math.abs(actual - expected) <= 1e-12, `${what} expected ${expected}, got ${actual}`);

test("LRU evicts the least recently used entry", () => {
  const lru = new LruMap<string, number>(2);
  lru.set("a", 1);
  lru.set("b", 2);
  lru.get("a"); // a is now most recent
  lru.set("c", 3);
  assert.equal(lru.peek("b"), undefined);
  assert.equal(lru.peek("a"), 1);
  assert.equal(lru.size, 2);
});

test("exchange store is bounded per model", () => {
  const store = new ExchangeStore(3);
  for (let i = 0; i < 5; i++) store.recordResponse(`id${i}`, [i]);
  assert.equal(store.get("id0"), undefined);
  assert.equal(store.get("id1"), undefined);
  assert.deepEqual(store.get("id4")?.predictions, [4]);
});

test("macro-averaged classification metrics", () => {
  const s = new FeedbackStats({ task: "classification" });
  s.update([0, 1, 2, 1], [0, 1, 1, 1], "m");
  const snap = s.snapshot();
  assert.equal(snap.task, "classification");
  if (snap.task !== "classification") return;
  // label 0: P=1 R=1; label 1: P=1 R=2/3; label 2: P=0 (1 false positive) R=0 (never true).
  close(snap.accuracy, 0.75, "accuracy");
  close(snap.precision, 2 / 3, "precision");
  close(snap.recall, 5 / 9, "recall");
  close(snap.f1, (1 + 0.8 + 0) / 3, "f1");
  assert.equal(snap.averaging, "macro");
});

test("positive-label metrics", () => {
  const s = new FeedbackStats({ task: "classification", positiveLabel: "yes" });
  s.update(["yes", "yes", "no", "no", "yes"], ["yes", "no", "yes", "no", "yes"], "m");
  const snap = s.snapshot();
  if (snap.task !== "classification") throw new Error("task");
  // tp=2 fp=1 fn=1 → P = R = F1 = 2/3.
  close(snap.accuracy, 3 / 5, "accuracy");
  close(snap.precision, 2 / 3, "precision");
  close(snap.recall, 2 / 3, "recall");
  close(snap.f1, 2 / 3, "f1");
});

test("regression MAE and RMSE, and a bad pair leaves totals untouched", () => {
  const s = new FeedbackStats({ task: "regression" });
  s.update([2.5, 0, [2]], [3, -0.5, 2], "m");
  assert.throws(() => s.update([1, "x"], [1, 1], "m"), /prediction 1/);
  const snap = s.snapshot();
  if (snap.task !== "regression") throw new Error("task");
  assert.equal(snap.count, 3);
  close(snap.mae, 1 / 3, "mae");
  close(snap.rmse, Math.sqrt(0.5 / 3), "rmse");
});
