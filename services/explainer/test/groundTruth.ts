/**
 * Ground truth for the tests, independent of src/kernelShap.ts: Shapley values by the Shapley formula itself,
 * phi_i = sum over S not containing i of |S|!(d-|S|-1)!/d! * (v(S + i) - v(S)), with the interventional value
 * v(S) = mean over the background of f(x_S, b_rest), evaluated directly (no regression, no sampling).
 */
export type Model = (row: number[]) => number[];

function factorial(n: number): number {
  let r = 1;
  for (let i = 2; i <= n; i++) r *= i;
  return r;
}

export function coalitionValue(f: Model, x: number[], background: number[][], inS: (j: number) => boolean): number[] {
  let sum: number[] | undefined;
  for (const b of background) {
    const out = f(x.map((xj, j) => (inS(j) ? xj : b[j])));
    sum = sum ? sum.map((v, c) => v + out[c]) : [...out];
  }
  return (sum as number[]).map((v) => v / background.length);
}

/** Exact Shapley values phi[i][output] by enumeration of all subsets (fine up to ~12 features). */
export function bruteForceShapley(f: Model, x: number[], background: number[][]): number[][] {
  const d = x.length;
  const values = new Map<number, number[]>();
  const v = (bits: number) => {
    let hit = values.get(bits);
    if (!hit) values.set(bits, (hit = coalitionValue(f, x, background, (j) => ((bits >> j) & 1) === 1)));
    return hit;
  };
  const k = f(x).length;
  const phi = Array.from({ length: d }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < d; i++) {
    for (let bits = 0; bits < 1 << d; bits++) {
      if ((bits >> i) & 1) continue;
      let size = 0;
      for (let j = 0; j < d; j++) size += (bits >> j) & 1;
      const w = (factorial(size) * factorial(d - size - 1)) / factorial(d);
      const with_ = v(bits | (1 << i));
      const without = v(bits);
      for (let c = 0; c < k; c++) phi[i][c] += w * (with_[c] - without[c]);
    }
  }
  return phi;
}

/** For a linear model f(x) = w.x + c the Shapley values are w_i (x_i - E[x_i]) (E over the background). */
export function linearShapley(w: number[], x: number[], background: number[][]): number[] {
  return w.map((wi, i) => wi * (x[i] - background.reduce((s, b) => s + b[i], 0) / background.length));
}

/** Small known models: served by test/fixture.ts, explained in-process by kernelShap.test.ts. */
export const linearWeights = [1.5, -2, 0.5, 3];
export const models: Record<string, Model> = {
  linear: (r) => [r.reduce((s, v, i) => s + linearWeights[i] * v, 0.25)],
  interactions: (r) => [r[0] * r[1] + Math.sin(r[2]) + r[3] * r[3]],
  softmax: (r) => {
    const z = [r[0] + 2 * r[1], r[2] - r[0] * r[3], 0.5 * r[3]];
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  },
};
