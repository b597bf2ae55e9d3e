import type { ModelConfig } from "./config";
import { MonitorError } from "./errors";
import { safeJson, toLabel, toNumber } from "./payload";

/** Map with least-recently-used eviction; Map keeps insertion order, so re-inserting on access is enough. */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(readonly capacity: number) {}
  get size(): number {
    return this.map.size;
  }
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  peek(key: K): V | undefined {
    return this.map.get(key);
  }
  set(key: K, value: V): void {
    if (this.map.has(key)) this.map.delete(key);
    else if (this.map.size >= this.capacity) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, value);
  }
}

export interface LoggedExchange {
  predictions?: unknown[];
  /** Rows that already received ground truth (at-least-once delivery may repeat feedback). */
  labelled: Set<number>;
  /** The model version that answered (from the logged request's annotations), when the event named one. */
  version?: string;
}

/**
 * Recent inference exchanges of one model, keyed by the CloudEvent id that a
 * request and its response share, plus an index from instance content to
 * (id, row) for feedback that names instances instead of an id.
 */
export class ExchangeStore {
  private readonly exchanges: LruMap<string, LoggedExchange>;
  private readonly byInstance: LruMap<string, { id: string; row: number }>;

  constructor(capacity: number) {
    this.exchanges = new LruMap(capacity);
    this.byInstance = new LruMap(capacity);
  }

  private entry(id: string): LoggedExchange {
    let e = this.exchanges.get(id);
    if (!e) {
      e = { labelled: new Set() };
      this.exchanges.set(id, e);
    }
    return e;
  }

  recordRequest(id: string, instanceKeys: readonly string[]): void {
    this.entry(id);
    instanceKeys.forEach((key, row) => this.byInstance.set(key, { id, row }));
  }

  recordResponse(id: string, predictions: unknown[]): void {
    this.entry(id).predictions = predictions;
  }

  get(id: string): LoggedExchange | undefined {
    return this.exchanges.get(id);
  }

  findInstance(key: string): { id: string; row: number } | undefined {
    return this.byInstance.get(key);
  }
}

export interface ClassificationSnapshot {
  task: "classification";
  count: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** "positive:<label>" or "macro" (mean over all labels seen in truth or predictions). */
  averaging: string;
}

export interface RegressionSnapshot {
  task: "regression";
  count: number;
  mae: number;
  rmse: number;
}

export type FeedbackSnapshot = ClassificationSnapshot | RegressionSnapshot;

const ratio = (num: number, den: number): number => (den > 0 ? num / den : 0);
const f1 = (p: number, r: number): number => (p + r > 0 ? (2 * p * r) / (p + r) : 0);

interface LabelCounts {
  tp: number;
  fp: number;
  fn: number;
}

/** Confusion counts or error sums over some set of labelled predictions; supports removal for windows. */
class Tally {
  n = 0;
  correct = 0;
  readonly perLabel = new Map<string, LabelCounts>();
  absSum = 0;
  sqSum = 0;

  private label(l: string): LabelCounts {
    let c = this.perLabel.get(l);
    if (!c) {
      c = { tp: 0, fp: 0, fn: 0 };
      this.perLabel.set(l, c);
    }
    return c;
  }

  addLabels(p: string, t: string, sign: 1 | -1): void {
    this.n += sign;
    if (p === t) {
      this.correct += sign;
      this.label(t).tp += sign;
    } else {
      this.label(p).fp += sign;
      this.label(t).fn += sign;
    }
    if (sign < 0) {
      // A label that left the window entirely no longer takes part in the macro average.
      for (const l of p === t ? [t] : [p, t]) {
        const c = this.perLabel.get(l);
        if (c && c.tp === 0 && c.fp === 0 && c.fn === 0) this.perLabel.delete(l);
      }
    }
  }

  addError(e: number, sign: 1 | -1): void {
    this.n += sign;
    this.absSum += sign * Math.abs(e);
    this.sqSum += sign * e * e;
  }

  snapshot(task: ModelConfig["task"], positiveLabel: ModelConfig["positiveLabel"]): FeedbackSnapshot {
    if (task === "regression") {
      return { task: "regression", count: this.n, mae: ratio(Math.max(0, this.absSum), this.n), rmse: Math.sqrt(ratio(Math.max(0, this.sqSum), this.n)) };
    }
    let precision: number;
    let recall: number;
    let f: number;
    let averaging: string;
    if (positiveLabel !== undefined) {
      const pos = String(positiveLabel);
      const c = this.perLabel.get(pos) ?? { tp: 0, fp: 0, fn: 0 };
      precision = ratio(c.tp, c.tp + c.fp);
      recall = ratio(c.tp, c.tp + c.fn);
      f = f1(precision, recall);
      averaging = `positive:${pos}`;
    } else {
      let ps = 0;
      let rs = 0;
      let fs = 0;
      for (const c of this.perLabel.values()) {
        const p = ratio(c.tp, c.tp + c.fp);
        const r = ratio(c.tp, c.tp + c.fn);
        ps += p;
        rs += r;
        fs += f1(p, r);
      }
      const k = this.perLabel.size;
      precision = ratio(ps, k);
      recall = ratio(rs, k);
      f = ratio(fs, k);
      averaging = "macro";
    }
    return { task: "classification", count: this.n, accuracy: ratio(this.correct, this.n), precision, recall, f1: f, averaging };
  }
}

/**
 * Quality metrics, cumulative since start and over a sliding window of the
 * last `windowSize` labelled predictions (what alerts should use: a cumulative
 * figure barely moves after thousands of good labels). Undefined ratios (0/0,
 * e.g. a label never predicted) count as 0, as scikit-learn's zero_division=0
 * does; macro averages run over the labels present in the set measured.
 */
export class FeedbackStats {
  private readonly total = new Tally();
  private readonly recent = new Tally();
  readonly windowSize: number;
  // Ring of the window's pairs: labels (classification) or errors (regression).
  private readonly ringPred: string[] = [];
  private readonly ringTruth: string[] = [];
  private readonly ringError: Float64Array;
  private head = 0;
  private filled = 0;
  private evictions = 0;

  constructor(private readonly cfg: Pick<ModelConfig, "task" | "positiveLabel"> & { feedback?: { windowSize: number } }) {
    this.windowSize = cfg.feedback?.windowSize ?? 500;
    this.ringError = new Float64Array(cfg.task === "regression" ? this.windowSize : 0);
  }

  get task(): ModelConfig["task"] {
    return this.cfg.task;
  }

  /** Converts and validates first so a bad pair leaves the totals untouched. */
  update(predictions: readonly unknown[], truth: readonly unknown[], model: string): number {
    if (this.cfg.task === "classification") {
      const pairs = predictions.map((p, i) => {
        const pl = toLabel(p);
        const tl = toLabel(truth[i]);
        if (pl === undefined) throw new MonitorError(400, "malformed", `prediction ${i} (${safeJson(p)}) is not a class label or score vector`, model);
        if (tl === undefined) throw new MonitorError(400, "malformed", `truth[${i}] (${safeJson(truth[i])}) is not a class label`, model);
        return [pl, tl] as const;
      });
      for (const [p, t] of pairs) {
        this.total.addLabels(p, t, 1);
        if (this.filled === this.windowSize) this.recent.addLabels(this.ringPred[this.head], this.ringTruth[this.head], -1);
        else this.filled++;
        this.ringPred[this.head] = p;
        this.ringTruth[this.head] = t;
        this.recent.addLabels(p, t, 1);
        this.head = (this.head + 1) % this.windowSize;
      }
      return pairs.length;
    }
    const pairs = predictions.map((p, i) => {
      const pv = toNumber(p);
      const tv = toNumber(truth[i]);
      if (pv === undefined) throw new MonitorError(400, "malformed", `prediction ${i} (${safeJson(p)}) is not a number`, model);
      if (tv === undefined) throw new MonitorError(400, "malformed", `truth[${i}] (${safeJson(truth[i])}) is not a number`, model);
      return [pv, tv] as const;
    });
    for (const [p, t] of pairs) {
      const e = p - t;
      this.total.addError(e, 1);
      if (this.filled === this.windowSize) {
        this.recent.addError(this.ringError[this.head], -1);
        this.evictions++;
      } else this.filled++;
      this.ringError[this.head] = e;
      this.recent.addError(e, 1);
      this.head = (this.head + 1) % this.windowSize;
    }
    // Running sums with removals accumulate rounding; re-add the window exactly once per turn.
    if (this.evictions >= this.windowSize) {
      this.evictions = 0;
      this.recent.absSum = 0;
      this.recent.sqSum = 0;
      for (let i = 0; i < this.filled; i++) {
        this.recent.absSum += Math.abs(this.ringError[i]);
        this.recent.sqSum += this.ringError[i] * this.ringError[i];
      }
    }
    return pairs.length;
  }

  /** Cumulative since start. */
  snapshot(): FeedbackSnapshot {
    return this.total.snapshot(this.cfg.task, this.cfg.positiveLabel);
  }

  /** Over the last windowSize labelled predictions (count = how many are in the window so far). */
  windowSnapshot(): FeedbackSnapshot {
    return this.recent.snapshot(this.cfg.task, this.cfg.positiveLabel);
  }
}
