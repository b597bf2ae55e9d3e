import type { FeatureSpec, FeatureValue } from "./config";
import { conformalMinimumCalibration, conformalRank, outlierMinimumRows } from "./conformal";
import { columnMeans, covarianceMatrix, invertSPD, mahalanobis, regularise } from "./stats/mahalanobis";

export interface OutlierResult {
  threshold: number;
  quantile: number;
  scores: number[];
  is_outlier: boolean[];
  outlier_count: number;
}

export { conformalMinimumCalibration, conformalRank, outlierMinimumRows };

/** Shared wording for a reference too small for the quantile (inline: at config parse time; file/S3: when loaded). */
export function outlierTooSmallMessage(rows: number, quantile: number, need: number): string {
  return (
    `${rows} reference rows are too few for outlier.quantile ${quantile}: the split-conformal threshold needs at least ` +
    `${need} rows (every other row, >= ${need / 2}, calibrates it); add rows, lower outlier.quantile, or set outlier.enabled to false`
  );
}

/** Thrown when a reference cannot give the configured false-positive guarantee. */
export class ReferenceTooSmallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReferenceTooSmallError";
  }
}

/**
 * Mahalanobis-distance outlier detector over the numeric features, with a
 * split-conformal threshold.
 *
 * The reference rows are split by position: even rows (0, 2, 4, …) fit the
 * mean and the (ridge-regularised) covariance, whose inverse is computed once
 * here; odd rows are the calibration set, scored against that fit. The
 * threshold is the ⌈(m + 1)·q⌉-th smallest of the m calibration scores. A new
 * instance exchangeable with the calibration rows (same distribution, fit held
 * fixed) then exceeds it with probability at most 1 − q — exactly
 * 1 − ⌈(m + 1)q⌉/(m + 1) — whatever the distribution and however many
 * features, because its score is just as likely to take any rank among the
 * m + 1 scores. The rank exists only if m ≥ q/(1 − q), so smaller references
 * are refused (see outlierMinimumRows).
 *
 * The guarantee is averaged over reference samples; for one fixed reference the
 * realised rate scatters around it with standard deviation ≈ √(q(1 − q)/m), so
 * more calibration rows make it tighter.
 */
export class OutlierDetector {
  readonly enabled: boolean;
  readonly threshold: number;
  /** Calibration rows the threshold was taken from (0 when disabled). */
  readonly calibrationSize: number;
  private readonly numeric: number[];
  private readonly mean: Float64Array;
  private readonly precision: Float64Array;
  private readonly scratch: Float64Array;

  constructor(
    features: readonly FeatureSpec[],
    reference: readonly FeatureValue[][],
    readonly quantile: number,
    enabled = true,
  ) {
    this.numeric = features.flatMap((f, j) => (f.type === "numeric" ? [j] : []));
    const d = this.numeric.length;
    this.enabled = enabled && d > 0;
    this.scratch = new Float64Array(d);
    if (!this.enabled) {
      this.mean = new Float64Array(0);
      this.precision = new Float64Array(0);
      this.threshold = Infinity;
      this.calibrationSize = 0;
      return;
    }
    const need = outlierMinimumRows(quantile);
    if (reference.length < need) {
      throw new ReferenceTooSmallError(outlierTooSmallMessage(reference.length, quantile, need));
    }
    const rows = reference.map((row) => Float64Array.from(this.numeric, (j) => row[j] as number));
    const fit = rows.filter((_, i) => i % 2 === 0);
    const calibration = rows.filter((_, i) => i % 2 === 1);
    this.mean = columnMeans(fit, d);
    this.precision = invertSPD(regularise(covarianceMatrix(fit, this.mean), d), d);
    const scores = Float64Array.from(calibration, (r) => mahalanobis(r, this.mean, this.precision)).sort();
    this.calibrationSize = scores.length;
    this.threshold = scores[conformalRank(scores.length, quantile) - 1];
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
