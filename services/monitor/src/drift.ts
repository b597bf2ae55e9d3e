import type { FeatureSpec, FeatureValue, ModelConfig } from "./config";
import { chiSquareHomogeneity } from "./stats/chi2";
import { correct, type Correction } from "./stats/correction";
import { ksPValue, ksStatisticSorted, lowerBound, upperBound } from "./stats/ks";

export interface FeatureDrift {
  name: string;
  type: "numeric" | "categorical";
  test: "ks" | "chi2";
  /** KS D, or the χ² statistic. */
  statistic: number;
  /** KS D, or Cramér's V for categorical features; comparable 0..1 scale. */
  distance: number;
  p_value: number;
  p_value_corrected: number;
  is_drift: boolean;
}

export interface DriftResult {
  is_drift: boolean;
  window_size: number;
  reference_size: number;
  p_value_threshold: number;
  correction: Correction;
  features: FeatureDrift[];
}

/**
 * Values of one numeric feature in the window, kept sorted at all times.
 * Each insert/evict is a binary search plus one memmove (copyWithin), so the
 * per-request check never sorts: it only merges with the pre-sorted reference.
 */
class SortedColumn {
  readonly values: Float64Array;
  length = 0;
  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }
  insert(v: number): void {
    const at = upperBound(this.values, this.length, v);
    this.values.copyWithin(at + 1, at, this.length);
    this.values[at] = v;
    this.length++;
  }
  remove(v: number): void {
    const at = lowerBound(this.values, this.length, v);
    if (at >= this.length || this.values[at] !== v) return; // cannot happen: v was inserted before
    this.values.copyWithin(at, at + 1, this.length);
    this.length--;
  }
}

type Column =
  | { kind: "numeric"; ring: Float64Array; sorted: SortedColumn; reference: Float64Array }
  | { kind: "categorical"; ring: string[]; counts: Map<string, number>; reference: Map<string, number> };

/**
 * Sliding window (ring buffer of the last `windowSize` request instances) per
 * model, tested feature by feature against the reference sample.
 */
export class DriftDetector {
  private readonly columns: Column[];
  private readonly capacity: number;
  private head = 0;
  private count = 0;
  private readonly referenceSize: number;

  constructor(
    private readonly features: readonly FeatureSpec[],
    reference: readonly FeatureValue[][],
    private readonly options: Pick<ModelConfig["drift"], "windowSize" | "pValue" | "correction" | "minSamples">,
  ) {
    this.capacity = options.windowSize;
    this.referenceSize = reference.length;
    this.columns = features.map((f, j) => {
      if (f.type === "numeric") {
        // Pre-sort the reference once; every check merges against it.
        const ref = Float64Array.from(reference, (row) => row[j] as number).sort();
        return { kind: "numeric", ring: new Float64Array(this.capacity), sorted: new SortedColumn(this.capacity), reference: ref };
      }
      const counts = new Map<string, number>();
      for (const row of reference) {
        const c = row[j] as string;
        counts.set(c, (counts.get(c) ?? 0) + 1);
      }
      return { kind: "categorical", ring: new Array<string>(this.capacity), counts: new Map(), reference: counts };
    });
  }

  get size(): number {
    return this.count;
  }

  get minSamples(): number {
    return this.options.minSamples;
  }

  /** Appends validated rows, evicting the oldest when the window is full. */
  add(rows: readonly FeatureValue[][]): void {
    // Rows that would be evicted within this same batch never need inserting.
    const start = Math.max(0, rows.length - this.capacity);
    for (let r = start; r < rows.length; r++) {
      const row = rows[r];
      const slot = this.head;
      const evict = this.count === this.capacity;
      for (let j = 0; j < this.columns.length; j++) {
        const col = this.columns[j];
        if (col.kind === "numeric") {
          if (evict) col.sorted.remove(col.ring[slot]);
          const v = row[j] as number;
          col.ring[slot] = v;
          col.sorted.insert(v);
        } else {
          if (evict) {
            const old = col.ring[slot];
            const c = (col.counts.get(old) ?? 0) - 1;
            if (c > 0) col.counts.set(old, c);
            else col.counts.delete(old);
          }
          const v = row[j] as string;
          col.ring[slot] = v;
          col.counts.set(v, (col.counts.get(v) ?? 0) + 1);
        }
      }
      this.head = (slot + 1) % this.capacity;
      if (!evict) this.count++;
    }
  }

  /** Runs the per-feature tests on the current window (call once minSamples is reached). */
  check(): DriftResult {
    const raw: Omit<FeatureDrift, "p_value_corrected" | "is_drift">[] = this.columns.map((col, j) => {
      const f = this.features[j];
      if (col.kind === "numeric") {
        const d = ksStatisticSorted(col.sorted.values, col.sorted.length, col.reference, col.reference.length);
        return { name: f.name, type: f.type, test: "ks", statistic: d, distance: d, p_value: ksPValue(d, col.sorted.length, col.reference.length) };
      }
      const chi = chiSquareHomogeneity(col.reference, col.counts);
      return { name: f.name, type: f.type, test: "chi2", statistic: chi.statistic, distance: chi.cramersV, p_value: chi.pValue };
    });
    const corrected = correct(raw.map((r) => r.p_value), this.options.correction);
    const features = raw.map((r, j) => ({ ...r, p_value_corrected: corrected[j], is_drift: corrected[j] < this.options.pValue }));
    return {
      is_drift: features.some((f) => f.is_drift),
      window_size: this.count,
      reference_size: this.referenceSize,
      p_value_threshold: this.options.pValue,
      correction: this.options.correction,
      features,
    };
  }
}
