/**
 * KernelSHAP (Lundberg & Lee, 2017): Shapley values of a model's output as the solution of a weighted linear
 * regression over feature coalitions, with the Shapley kernel as weights and the efficiency constraint
 * `base + sum(phi) = f(x)` imposed exactly.
 *
 * The value of a coalition S for an instance x is the interventional expectation over a background sample B:
 * v(S) = mean_b f(x_S, b_{not S}). With every coalition enumerated the regression's solution is exactly the Shapley
 * value of that game (the tests check it against the Shapley formula by brute force); beyond `maxExactFeatures`
 * coalitions are drawn (seeded) from the kernel's own distribution over sizes, in complementary pairs.
 *
 * Pure apart from the `evaluate` callback (the predictor), so the maths is tested without HTTP.
 */
import { seededRandom } from "../../shared/random";

/** Evaluates the model on rows; returns one output vector (length k >= 1, the same for every row) per row. */
export type Evaluate = (rows: number[][], signal: AbortSignal) => Promise<number[][]>;

export interface KernelShapSettings {
  /** Enumerate every coalition up to this many features (2^d - 2 coalitions); sample beyond. */
  maxExactFeatures: number;
  /** Coalitions drawn when sampling (rounded up to an even number: they come in complementary pairs). */
  samples: number;
  /** Seed of the coalition sampler; the same seed gives the same coalitions. */
  seed: number;
  /** Rows per predictor call. */
  batchSize: number;
  /** Predictor calls in flight at once for one instance. */
  parallelCalls: number;
}

export interface Plan {
  exact: boolean;
  /** Coalitions as 0/1 masks (never empty, never full). */
  masks: Uint8Array[];
  /** Regression weight of each mask. */
  weights: number[];
}

export interface Explanation {
  exact: boolean;
  /** Distinct coalitions evaluated (besides the empty and the full one). */
  coalitions: number;
  /** E[f(B)] per output. */
  base: number[];
  /** f(x) per output. */
  output: number[];
  /** phi[i][o]: attribution of feature i to output o. */
  phi: number[][];
  /** max over outputs of |base + sum(phi) - f(x)|. */
  additivityGap: number;
  predictorCalls: number;
  predictorRows: number;
}

export class ExplainError extends Error {
  constructor(
    readonly kind: "budget" | "singular" | "shape",
    message: string,
  ) {
    super(message);
    this.name = "ExplainError";
  }
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** The Shapley kernel weight of a coalition of size s among d features (0 < s < d). */
export function shapleyKernel(d: number, s: number): number {
  return (d - 1) / (binomial(d, s) * s * (d - s));
}

/** Largest feature count exact enumeration accepts (2^16 - 2 coalitions per instance). */
export const MAX_EXACT_FEATURES = 16;

/** The coalitions KernelSHAP evaluates for d features. */
export function planCoalitions(d: number, s: Pick<KernelShapSettings, "maxExactFeatures" | "samples" | "seed">): Plan {
  if (d < 2) return { exact: true, masks: [], weights: [] };
  const total = 2 ** Math.min(d, 52) - 2;
  if (d <= Math.min(s.maxExactFeatures, MAX_EXACT_FEATURES)) {
    const masks: Uint8Array[] = [];
    const weights: number[] = [];
    for (let bits = 1; bits < 2 ** d - 1; bits++) {
      const m = new Uint8Array(d);
      let size = 0;
      for (let j = 0; j < d; j++) {
        if ((bits >> j) & 1) {
          m[j] = 1;
          size++;
        }
      }
      masks.push(m);
      weights.push(shapleyKernel(d, size));
    }
    return { exact: true, masks, weights };
  }
  // Budgeted: coalition sizes are taken in complementary pairs (s, d - s), smallest first (they carry the most
  // kernel weight). A pair whose coalitions all fit in its share of the remaining budget is enumerated with its
  // exact kernel weights; the remaining sizes are sampled (seeded) with probability proportional to their kernel
  // mass, each draw together with its complement, and share the remaining mass equally. Repeated draws merge.
  const mass = (size: number) => (d - 1) / (size * (d - size)); // = C(d, size) * shapleyKernel(d, size)
  const weights = new Map<string, { mask: Uint8Array; weight: number }>();
  const add = (m: Uint8Array, w: number) => {
    const key = m.join("");
    const hit = weights.get(key);
    if (hit) hit.weight += w;
    else weights.set(key, { mask: m, weight: w });
  };
  let budget = Math.min(s.samples, total);
  let massLeft = 0;
  for (let size = 1; size < d; size++) massLeft += mass(size);
  let lower = 1;
  for (; lower <= Math.floor(d / 2); lower++) {
    const sizes = lower === d - lower ? [lower] : [lower, d - lower];
    const count = sizes.reduce((a, size) => a + binomial(d, size), 0);
    const pairMass = sizes.reduce((a, size) => a + mass(size), 0);
    if ((budget * pairMass) / massLeft < count - 1e-9) break;
    for (const size of sizes) forEachSubset(d, size, (m) => add(m, shapleyKernel(d, size)));
    budget -= count;
    massLeft -= pairMass;
  }
  const sampled = lower <= Math.floor(d / 2) && budget >= 2;
  if (sampled) {
    const rand = seededRandom(s.seed);
    const candidates: { size: number; mass: number }[] = [];
    for (let size = lower; size <= d - lower; size++) candidates.push({ size, mass: mass(size) });
    const pairs = Math.floor(budget / 2);
    const w = massLeft / (2 * pairs);
    const idx = Array.from({ length: d }, (_, j) => j);
    for (let p = 0; p < pairs; p++) {
      let u = rand() * massLeft;
      let c = 0;
      while (c < candidates.length - 1 && u >= candidates[c].mass) u -= candidates[c++].mass;
      const size = candidates[c].size;
      // Partial Fisher-Yates: the first `size` positions become a uniform subset.
      for (let j = 0; j < size; j++) {
        const r = j + Math.floor(rand() * (d - j));
        [idx[j], idx[r]] = [idx[r], idx[j]];
      }
      const m = new Uint8Array(d);
      for (let j = 0; j < size; j++) m[idx[j]] = 1;
      add(m, w);
      add(m.map((v) => 1 - v), w);
    }
  }
  const entries = [...weights.values()];
  return { exact: !sampled && lower > Math.floor(d / 2), masks: entries.map((e) => e.mask), weights: entries.map((e) => e.weight) };
}

/** Calls `visit` with every 0/1 mask of d features with exactly `size` ones. */
function forEachSubset(d: number, size: number, visit: (m: Uint8Array) => void): void {
  const chosen = Array.from({ length: size }, (_, i) => i);
  for (;;) {
    const m = new Uint8Array(d);
    for (const j of chosen) m[j] = 1;
    visit(m);
    let i = size - 1;
    while (i >= 0 && chosen[i] === d - size + i) i--;
    if (i < 0) return;
    chosen[i]++;
    for (let j = i + 1; j < size; j++) chosen[j] = chosen[j - 1] + 1;
  }
}

/** Predictor rows and calls one instance costs: f(x), the background, and |background| rows per coalition. */
export function instanceCost(plan: Plan, backgroundSize: number, batchSize: number): { rows: number; calls: number } {
  const rows = 1 + backgroundSize + plan.masks.length * backgroundSize;
  return { rows, calls: Math.ceil(rows / batchSize) };
}

/** Solves A x = b (A symmetric, n x n, row-major copies) by Gaussian elimination with partial pivoting. */
function solve(A: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  let scale = 0;
  for (const row of A) for (const v of row) scale = Math.max(scale, Math.abs(v));
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    if (Math.abs(M[p][c]) <= 1e-12 * Math.max(scale, 1e-300)) return undefined;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      if (f === 0) continue;
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

/**
 * The constrained weighted least squares of KernelSHAP for one output: minimise
 * sum_z w_z (v_z - base - sum_{i in z} phi_i)^2 subject to sum phi = fx - base, by eliminating the last feature.
 */
export function solveAttributions(plan: Plan, values: number[], base: number, fx: number): number[] | undefined {
  const d = plan.masks[0]?.length ?? 0;
  if (d === 0) return undefined;
  const total = fx - base;
  const n = d - 1;
  const A = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const rhs = new Array<number>(n).fill(0);
  const x = new Array<number>(n);
  for (let c = 0; c < plan.masks.length; c++) {
    const m = plan.masks[c];
    const w = plan.weights[c];
    const last = m[d - 1];
    for (let i = 0; i < n; i++) x[i] = m[i] - last;
    const y = values[c] - base - last * total;
    for (let i = 0; i < n; i++) {
      if (x[i] === 0) continue;
      const wx = w * x[i];
      rhs[i] += wx * y;
      for (let j = 0; j < n; j++) if (x[j] !== 0) A[i][j] += wx * x[j];
    }
  }
  const head = solve(A, rhs);
  if (!head) return undefined;
  return [...head, total - head.reduce((a, b) => a + b, 0)];
}

/** Runs async tasks with at most `limit` in flight; stops starting new ones after the first failure. */
async function pool(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

/**
 * Explains one instance. `signal` aborts the predictor calls (time budget); the caller checks the call budget
 * beforehand with instanceCost.
 */
export async function explainInstance(
  x: number[],
  background: number[][],
  plan: Plan,
  settings: Pick<KernelShapSettings, "batchSize" | "parallelCalls">,
  evaluate: Evaluate,
  signal: AbortSignal,
): Promise<Explanation> {
  const d = x.length;
  const n = background.length;
  const totalRows = 1 + n + plan.masks.length * n;
  const batches = Math.ceil(totalRows / settings.batchSize);
  let k = -1;
  let fx: number[] = [];
  let baseSum: Float64Array = new Float64Array(0);
  let coalitionSums: Float64Array = new Float64Array(0);
  const ensure = (width: number) => {
    if (k === -1) {
      k = width;
      baseSum = new Float64Array(k);
      coalitionSums = new Float64Array(plan.masks.length * k);
    } else if (width !== k) {
      throw new ExplainError("shape", `the predictor returned outputs of width ${width} and ${k} for rows of the same request`);
    }
  };
  /** Row at position p of the stream: x, then the background, then each coalition over the background. */
  const rowAt = (p: number): number[] => {
    if (p === 0) return x;
    if (p <= n) return background[p - 1];
    const q = p - 1 - n;
    const m = plan.masks[Math.floor(q / n)];
    const b = background[q % n];
    const row = new Array<number>(d);
    for (let j = 0; j < d; j++) row[j] = m[j] ? x[j] : b[j];
    return row;
  };
  let calls = 0;
  await pool(batches, Math.max(1, settings.parallelCalls), async (bi) => {
    const start = bi * settings.batchSize;
    const end = Math.min(totalRows, start + settings.batchSize);
    const rows: number[][] = [];
    for (let p = start; p < end; p++) rows.push(rowAt(p));
    calls++;
    const out = await evaluate(rows, signal);
    if (out.length !== rows.length) throw new ExplainError("shape", `the predictor returned ${out.length} predictions for ${rows.length} rows`);
    for (let r = 0; r < out.length; r++) {
      const o = out[r];
      ensure(o.length);
      const p = start + r;
      if (p === 0) fx = o;
      else if (p <= n) for (let c = 0; c < k; c++) baseSum[c] += o[c];
      else {
        const off = Math.floor((p - 1 - n) / n) * k;
        for (let c = 0; c < k; c++) coalitionSums[off + c] += o[c];
      }
    }
  });
  const base = Array.from(baseSum, (v) => v / n);
  const phi: number[][] = Array.from({ length: d }, () => new Array<number>(k).fill(0));
  for (let c = 0; c < k; c++) {
    let attributions: number[] | undefined;
    if (d === 1) attributions = [fx[c] - base[c]];
    else {
      const values = plan.masks.map((_, i) => coalitionSums[i * k + c] / n);
      attributions = solveAttributions(plan, values, base[c], fx[c]);
    }
    if (!attributions) {
      throw new ExplainError("singular", `the sampled coalitions do not determine all ${d} attributions (singular system): raise samples`);
    }
    for (let i = 0; i < d; i++) phi[i][c] = attributions[i];
  }
  let gap = 0;
  for (let c = 0; c < k; c++) {
    let s = base[c];
    for (let i = 0; i < d; i++) s += phi[i][c];
    gap = Math.max(gap, Math.abs(s - fx[c]));
  }
  return { exact: plan.exact, coalitions: plan.masks.length, base, output: fx, phi, additivityGap: gap, predictorCalls: calls, predictorRows: totalRows };
}
