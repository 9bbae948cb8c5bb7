// test/helpers/objectives.ts — the objectives of the LBFGS fixtures (test/fixtures/gen/torch_lbfgs.py
// has the same code): the loss and the gradients in float64 with plain loops from the params'
// float32 values, the gradients stored rounded to float32, so a closure built from these hands the
// optimizer exactly the numbers torch's closure handed torch.
import type { Tensor } from "../../src-ts/index.js";

export type Objective = (values: Float32Array[]) => { loss: number; grads: Float64Array[] };

/** Σ_i 100 (x[i+1] − x[i]²)² + (1 − x[i])² over the params' values concatenated in order. */
export const rosenbrock: Objective = (values) => {
  const x = values.flatMap((v) => Array.from(v));
  const g = new Float64Array(x.length);
  let loss = 0;
  for (let i = 0; i < x.length - 1; i++) {
    const a = x[i + 1]! - x[i]! * x[i]!;
    const b = 1 - x[i]!;
    loss += 100 * a * a + b * b;
    g[i]! += -400 * a * x[i]! - 2 * b;
    g[i + 1]! += 200 * a;
  }
  const out: Float64Array[] = [];
  let at = 0;
  for (const v of values) {
    out.push(g.slice(at, at + v.length));
    at += v.length;
  }
  return { loss, grads: out };
};

/** 0.5/N Σ_n Σ_o (Σ_i X[n,i] W[o,i] + b[o] − Y[n,o])², params W (outs × k) and b (outs). */
export function leastSquares(X: Float32Array, Y: Float32Array, n: number, k: number, outs: number): Objective {
  return ([W, b]) => {
    let loss = 0;
    const gW = new Float64Array(outs * k), gb = new Float64Array(outs);
    for (let r = 0; r < n; r++) {
      for (let o = 0; o < outs; o++) {
        let z = b![o]!;
        for (let i = 0; i < k; i++) z += X[r * k + i]! * W![o * k + i]!;
        const e = z - Y[r * outs + o]!;
        loss += (0.5 * e * e) / n;
        gb[o]! += e / n;
        for (let i = 0; i < k; i++) gW[o * k + i]! += (e * X[r * k + i]!) / n;
      }
    }
    return { loss, grads: [gW, gb] };
  };
}

/** A closure for step(closure): evaluates `objective` at the params and writes their grads. */
export function closureFor(params: Tensor[], objective: Objective, calls?: { count: number }): () => number {
  return () => {
    if (calls) calls.count += 1;
    const { loss, grads } = objective(params.map((p) => p.toArray() as Float32Array));
    params.forEach((p, i) => p.grad!.set(Float32Array.from(grads[i]!)));
    return loss;
  };
}
