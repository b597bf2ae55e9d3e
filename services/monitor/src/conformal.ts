/**
 * The rank arithmetic of the split-conformal outlier threshold. No imports: the platform's config schema
 * (components/monitoring/monitoringSchema.ts) uses the same minimum to refuse references too small for their quantile.
 */

// Guards the rank arithmetic against binary rounding, e.g. (99 + 1) · 0.99 = 99.00000000000001.
const EPS = 1e-9;

/** Calibration rows m needed for the conformal rank ⌈(m + 1)·q⌉ to exist (≤ m): m ≥ q / (1 − q). */
export function conformalMinimumCalibration(quantile: number): number {
  return Math.max(1, Math.ceil(quantile / (1 - quantile) - EPS));
}

/** Reference rows needed: every other row calibrates, so twice the calibration minimum. */
export function outlierMinimumRows(quantile: number): number {
  return 2 * conformalMinimumCalibration(quantile);
}

/** 1-based rank of the conformal threshold among m calibration scores: ⌈(m + 1)·q⌉. */
export function conformalRank(m: number, quantile: number): number {
  return Math.ceil((m + 1) * quantile - EPS);
}
