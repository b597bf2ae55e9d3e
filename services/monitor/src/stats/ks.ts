/**
 * Two-sample Kolmogorov–Smirnov test.
 *
 * p-values are ASYMPTOTIC: the Kolmogorov limiting distribution evaluated at
 * λ = (√nₑ + 0.12 + 0.11/√nₑ)·D with nₑ = n·m/(n+m) (Stephens' small-sample
 * correction). It is accurate to a few 1e-3 for nₑ ≳ 20, which covers the
 * monitor's use (minSamples defaults to 50 against a reference of hundreds or
 * thousands of rows). An exact permutation p-value would cost O(n·m) per
 * feature per request, far too slow for a per-event check.
 */

export interface KsResult {
  /** D = sup |F₁(x) − F₂(x)|, in [0, 1]. */
  statistic: number;
  pValue: number;
}

/**
 * Survival function of the Kolmogorov distribution, Q(λ) = P(K > λ).
 * Two series are used because each converges fast on one side only:
 *  λ ≥ 1.18: Q = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}
 *  λ < 1.18: 1 − Q = (√(2π)/λ) Σ_{k≥1} e^{−(2k−1)²π²/(8λ²)}
 */
export function kolmogorovSurvival(lambda: number): number {
  if (!(lambda > 0)) return 1;
  if (lambda < 1.18) {
    const y = Math.exp((-Math.PI * Math.PI) / (8 * lambda * lambda));
    let sum = 0;
    for (let k = 1; k < 50; k++) {
      const odd = 2 * k - 1;
      const term = Math.pow(y, odd * odd);
      sum += term;
      if (term < 1e-17 * sum || term === 0) break;
    }
    const cdf = (Math.sqrt(2 * Math.PI) / lambda) * sum;
    return clamp01(1 - cdf);
  }
  const x = Math.exp(-2 * lambda * lambda);
  let sum = 0;
  let sign = 1;
  for (let k = 1; k < 100; k++) {
    const term = Math.pow(x, k * k);
    sum += sign * term;
    if (term < 1e-17 * Math.abs(sum) || term === 0) break;
    sign = -sign;
  }
  return clamp01(2 * sum);
}

/** Asymptotic two-sided p-value for statistic d with sample sizes n and m. */
export function ksPValue(d: number, n: number, m: number): number {
  if (n <= 0 || m <= 0) return 1;
  if (d <= 0) return 1;
  const en = Math.sqrt((n * m) / (n + m));
  return kolmogorovSurvival((en + 0.12 + 0.11 / en) * d);
}

/**
 * D for two ascending-sorted samples by a single merge pass, O(n + m).
 * Equal values are consumed from both samples before comparing so ties do not
 * create spurious steps.
 */
export function ksStatisticMerge(a: ArrayLike<number>, n: number, b: ArrayLike<number>, m: number): number {
  if (n === 0 || m === 0) return 0;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const v = a[i] <= b[j] ? a[i] : b[j];
    while (i < n && a[i] <= v) i++;
    while (j < m && b[j] <= v) j++;
    const diff = Math.abs(i / n - j / m);
    if (diff > d) d = diff;
  }
  // Once one sample is exhausted its ECDF is 1 and the gap only shrinks.
  return d;
}

/** Index of the first element > v in sorted[0..len). */
export function upperBound(sorted: ArrayLike<number>, len: number, v: number): number {
  let lo = 0;
  let hi = len;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element >= v in sorted[0..len). */
export function lowerBound(sorted: ArrayLike<number>, len: number, v: number): number {
  let lo = 0;
  let hi = len;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * D for a small sorted sample `w` against a large sorted reference `r`, using
 * binary search into the reference: O(n log m) instead of O(n + m). Between two
 * consecutive distinct window values the window ECDF is constant, so the
 * supremum on that interval is reached at one of its ends.
 */
export function ksStatisticSearch(w: ArrayLike<number>, n: number, r: ArrayLike<number>, m: number): number {
  if (n === 0 || m === 0) return 0;
  let d = lowerBound(r, m, w[0]) / m; // left of the first window value: F_w = 0
  let i = 0;
  while (i < n) {
    const v = w[i];
    while (i < n && w[i] <= v) i++;
    const fw = i / n;
    const atV = upperBound(r, m, v) / m;
    let diff = Math.abs(fw - atV);
    if (diff > d) d = diff;
    // Just left of the next distinct window value (or +∞ after the last one).
    const beforeNext = i < n ? lowerBound(r, m, w[i]) / m : 1;
    diff = Math.abs(fw - beforeNext);
    if (diff > d) d = diff;
  }
  return d;
}

/** D for two sorted samples, choosing the cheaper algorithm. */
export function ksStatisticSorted(a: ArrayLike<number>, n: number, b: ArrayLike<number>, m: number): number {
  // Binary search wins when one side is much larger than the other.
  if (m > 4 * n * Math.log2(m + 1)) return ksStatisticSearch(a, n, b, m);
  if (n > 4 * m * Math.log2(n + 1)) return ksStatisticSearch(b, m, a, n);
  return ksStatisticMerge(a, n, b, m);
}

/** Convenience: full test on unsorted samples. */
export function ksTwoSample(x: ArrayLike<number>, y: ArrayLike<number>): KsResult {
  const a = Float64Array.from(x).sort();
  const b = Float64Array.from(y).sort();
  const statistic = ksStatisticSorted(a, a.length, b, b.length);
  return { statistic, pValue: ksPValue(statistic, a.length, b.length) };
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
