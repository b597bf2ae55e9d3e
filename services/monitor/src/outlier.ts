import type { FeatureSpec, FeatureValue } from "./config";
import { columnMeans, covarianceMatrix, invertSPD, leaveOneOutDistance, mahalanobis, quantileSorted, regularise } from "./stats/mahalanobis";

export interface OutlierResult {
  threshold: number;
  quantile: number;
  scores: number[];
  is_outlier: boolean[];
  outlier_count: number;
}

/**
 * Mahalanobis-distance outlier detector over the numeric features. Mean and
 * (ridge-regularised) covariance come from the reference, the precision matrix
 * is inverted once here, and the threshold is the configured quantile of the
 * reference rows' own distances. Those are leave-one-out distances (each row
 * against the fit without it), so about (1 − q) of unseen reference-like
 * traffic is flagged; raw in-sample distances would flag noticeably more once
 * there are many features per reference row.
 */
export class OutlierDetector {
  readonly enabled: boolean;
  readonly threshold: number;
  private readonly numeric: number[];
  private readonly mean: Float64Array;
  private readonly precision: Float64Array;
  private readonly scratch: Float64Array;

  constructor(features: readonly FeatureSpec[], reference: readonly FeatureValue[][], readonly quantile: number) {
    this.numeric = features.flatMap((f, j) => (f.type === "numeric" ? [j] : []));
    const d = this.numeric.length;
    this.enabled = d > 0;
    this.scratch = new Float64Array(d);
    const rows = reference.map((row) => Float64Array.from(this.numeric, (j) => row[j] as number));
    this.mean = columnMeans(rows, d);
    this.precision = d > 0 ? invertSPD(regularise(covarianceMatrix(rows, this.mean), d), d) : new Float64Array(0);
    const own = Float64Array.from(rows, (r) => leaveOneOutDistance(mahalanobis(r, this.mean, this.precision), rows.length)).sort();
    this.threshold = d > 0 ? quantileSorted(own, quantile) : Infinity;
  }

  scoreOne(row: readonly FeatureValue[]): number {
    for (let k = 0; k < this.numeric.length; k++) this.scratch[k] = row[this.numeric[k]] as number;
    return mahalanobis(this.scratch, this.mean, this.precision);
  }

  score(rows: readonly FeatureValue[][]): OutlierResult {
    const scores = rows.map((r) => this.scoreOne(r));
    const flags = scores.map((s) => s > this.threshold);
    return {
      threshold: this.threshold,
      quantile: this.quantile,
      scores,
      is_outlier: flags,
      outlier_count: flags.filter(Boolean).length,
    };
  }
}
