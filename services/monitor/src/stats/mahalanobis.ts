/**
 * Mean / covariance / Mahalanobis distance on dense row-major matrices.
 * Matrices are flat Float64Arrays of d×d, which keeps the per-instance distance
 * a tight loop with no allocation.
 */

export function columnMeans(rows: ReadonlyArray<ArrayLike<number>>, d: number): Float64Array {
  const mean = new Float64Array(d);
  if (rows.length === 0) return mean;
  for (const row of rows) for (let j = 0; j < d; j++) mean[j] += row[j];
  for (let j = 0; j < d; j++) mean[j] /= rows.length;
  return mean;
}

/** Unbiased sample covariance (divides by n − 1). */
export function covarianceMatrix(rows: ReadonlyArray<ArrayLike<number>>, mean: Float64Array): Float64Array {
  const d = mean.length;
  const cov = new Float64Array(d * d);
  const n = rows.length;
  if (n < 2) return cov;
  const centred = new Float64Array(d);
  for (const row of rows) {
    for (let j = 0; j < d; j++) centred[j] = row[j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ca = centred[a];
      for (let b = a; b < d; b++) cov[a * d + b] += ca * centred[b];
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = cov[a * d + b] / (n - 1);
      cov[a * d + b] = v;
      cov[b * d + a] = v;
    }
  }
  return cov;
}

/**
 * Ridge regularisation Σ + λI with λ = ε·mean(diag Σ) (+ a tiny absolute floor).
 * It makes collinear or constant features invertible while leaving a
 * well-conditioned covariance practically unchanged.
 */
export function regularise(cov: Float64Array, d: number, epsilon = 1e-6): Float64Array {
  let trace = 0;
  for (let j = 0; j < d; j++) trace += cov[j * d + j];
  const lambda = epsilon * (d > 0 ? trace / d : 0) + 1e-12;
  const out = Float64Array.from(cov);
  for (let j = 0; j < d; j++) out[j * d + j] += lambda;
  return out;
}

/** Lower-triangular L with A = L·Lᵀ; throws if A is not positive definite. */
export function cholesky(a: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j];
      for (let k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
      if (i === j) {
        if (!(s > 0)) throw new Error("covariance matrix is not positive definite");
        l[i * d + i] = Math.sqrt(s);
      } else {
        l[i * d + j] = s / l[j * d + j];
      }
    }
  }
  return l;
}

/** Inverse of a symmetric positive-definite matrix via its Cholesky factor. */
export function invertSPD(a: Float64Array, d: number): Float64Array {
  const l = cholesky(a, d);
  // Linv = L⁻¹ by forward substitution, then A⁻¹ = Linvᵀ·Linv.
  const linv = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    linv[i * d + i] = 1 / l[i * d + i];
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s += l[i * d + k] * linv[k * d + j];
      linv[i * d + j] = -s / l[i * d + i];
    }
  }
  const inv = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < d; k++) s += linv[k * d + i] * linv[k * d + j];
      inv[i * d + j] = s;
      inv[j * d + i] = s;
    }
  }
  return inv;
}

/** √((x − μ)ᵀ P (x − μ)) for a precision matrix P = Σ⁻¹. */
export function mahalanobis(x: ArrayLike<number>, mean: Float64Array, precision: Float64Array): number {
  const d = mean.length;
  let q = 0;
  for (let a = 0; a < d; a++) {
    const da = x[a] - mean[a];
    let row = 0;
    for (let b = 0; b < d; b++) row += precision[a * d + b] * (x[b] - mean[b]);
    q += da * row;
  }
  // Rounding can make q a hair negative for x ≈ μ.
  return Math.sqrt(q > 0 ? q : 0);
}

/**
 * Leave-one-out distance of each reference row from a mean and covariance
 * fitted without that row, from its in-sample distance D (Sherman–Morrison):
 *   D²₍₋ᵢ₎ = (n/(n−1))² · (n−2) · (D²/(n−1)) / (1 − n·D²/(n−1)²).
 * In-sample distances are biased low (the row pulled the fit towards itself),
 * so a threshold taken from them flags too much unseen traffic, increasingly so
 * as features/rows grows; the LOO distances behave like unseen rows.
 */
export function leaveOneOutDistance(inSample: number, n: number): number {
  if (n < 3) return inSample;
  const d2 = inSample * inSample;
  const denom = 1 - (n * d2) / ((n - 1) * (n - 1));
  // denom → 0 only for a row that alone spans a direction: infinitely far without it.
  if (!(denom > 0)) return Infinity;
  const ratio = n / (n - 1);
  return Math.sqrt((ratio * ratio * (n - 2) * (d2 / (n - 1))) / denom);
}

/**
 * Quantile of an ascending-sorted sample at plotting position (n + 1)·q
 * (Hyndman & Fan type 6, numpy method "weibull"): the k-th smallest of n
 * values covers k/(n + 1) of the distribution on average, so a threshold at
 * this position leaves ≈ 1 − q of new values above it. The common default
 * (type 7) sits lower in the upper tail, e.g. ~1.3% exceedance for q = 0.99,
 * n = 300.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n + 1) * q - 1; // 0-based
  if (h <= 0) return sorted[0];
  if (h >= n - 1) return sorted[n - 1];
  const lo = Math.floor(h);
  return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
}
