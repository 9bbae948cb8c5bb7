// test/helpers/spiral.ts — a small real training problem for optimizer tests: a 3-layer ReLU MLP
// (2 -> hidden -> hidden -> 3) on cs231n's 3-class spiral, with hand-written gradients in JS.
// Parameters live in cuoptim tensors; the optimizer is the caller's.
import { tensor, zeros, type Device, type FloatDType, type Optimizer, type Tensor } from "../../src-ts/index.js";

export interface SpiralOptions {
  hidden: number;
  steps: number;
  seed: number;
  perClass?: number;
  /**
   * Sophia: every k steps (after the step where step % k == k - 1) the gradients of the loss on
   * labels sampled from the model's own softmax (the Gauss-Newton-Bartlett estimate) are put in
   * the grads and the optimizer's updateHessian() is called.
   */
  hessianEvery?: number;
  /** The params' and grads' dtype (default float32); the forward and backward run in float64 on their values. */
  dtype?: FloatDType;
  /** Called before the final loss is measured (Schedule-Free: eval(), to the averaged point). */
  beforeFinal?: (opt: Optimizer<object>) => void;
}

export function trainSpiral(device: Device, make: (params: Tensor[]) => Optimizer<object>, o: SpiralOptions): { finalLoss: number; losses: number[] } {
  const C = 3, H = o.hidden, per = o.perClass ?? 100, N = C * per;
  let s = o.seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const randn = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const X = new Float32Array(N * 2), Y = new Int32Array(N);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < per; i++) {
      const r = i / per, t = c * 4 + r * 4 + randn() * 0.2, k = c * per + i;
      X[2 * k] = r * Math.sin(t);
      X[2 * k + 1] = r * Math.cos(t);
      Y[k] = c;
    }
  }
  const init = (n: number, fanIn: number) => Float32Array.from({ length: n }, () => randn() * Math.sqrt(2 / fanIn));
  const shapes = [[2, H], [H], [H, H], [H], [H, C], [C]];
  const dtype = o.dtype ?? "float32";
  const params = shapes.map((sh, i) => (i % 2 === 0 ? tensor(init(sh[0]! * sh[1]!, sh[0]!), sh, { device, dtype }) : zeros(sh, { device, dtype })));
  for (const p of params) p.grad = zeros(p.shape, { device, dtype });
  const opt = make(params);
  const losses: number[] = [];
  const h1 = new Float32Array(H), h2 = new Float32Array(H), d1 = new Float32Array(H), d2 = new Float32Array(H), z = new Float32Array(C);
  const evaluate = (withGrads: boolean, sampled = false): number => {
    const [W1, b1, W2, b2, W3, b3] = params.map((p) => p.toArray());
    const g = params.map((p) => new Float32Array(p.numel));
    let loss = 0;
    for (let n = 0; n < N; n++) {
      const x0 = X[2 * n]!, x1 = X[2 * n + 1]!;
      for (let j = 0; j < H; j++) h1[j] = Math.max(0, x0 * W1![j]! + x1 * W1![H + j]! + b1![j]!);
      for (let j = 0; j < H; j++) {
        let a = b2![j]!;
        for (let i = 0; i < H; i++) a += h1[i]! * W2![i * H + j]!;
        h2[j] = Math.max(0, a);
      }
      let max = -Infinity;
      for (let c = 0; c < C; c++) {
        let a = b3![c]!;
        for (let j = 0; j < H; j++) a += h2[j]! * W3![j * C + c]!;
        z[c] = a;
        max = Math.max(max, a);
      }
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(z[c]! - max);
      let label = Y[n]!;
      if (sampled) {
        let r = rand() * sum;
        for (label = 0; label < C - 1 && (r -= Math.exp(z[label]! - max)) > 0; label++);
      }
      loss += Math.log(sum) - (z[label]! - max);
      if (!withGrads) continue;
      d2.fill(0);
      for (let c = 0; c < C; c++) {
        const dz = (Math.exp(z[c]! - max) / sum - (c === label ? 1 : 0)) / N;
        g[5]![c]! += dz;
        for (let j = 0; j < H; j++) {
          g[4]![j * C + c]! += h2[j]! * dz;
          d2[j]! += W3![j * C + c]! * dz;
        }
      }
      d1.fill(0);
      for (let j = 0; j < H; j++) {
        if (h2[j]! <= 0) continue;
        g[3]![j]! += d2[j]!;
        for (let i = 0; i < H; i++) {
          g[2]![i * H + j]! += h1[i]! * d2[j]!;
          d1[i]! += W2![i * H + j]! * d2[j]!;
        }
      }
      for (let i = 0; i < H; i++) {
        if (h1[i]! <= 0) continue;
        g[0]![i]! += x0 * d1[i]!;
        g[0]![H + i]! += x1 * d1[i]!;
        g[1]![i]! += d1[i]!;
      }
    }
    if (withGrads) params.forEach((p, i) => p.grad!.set(g[i]!));
    return loss / N;
  };
  for (let step = 0; step < o.steps; step++) {
    losses.push(evaluate(true));
    opt.step();
    if (o.hessianEvery && step % o.hessianEvery === o.hessianEvery - 1) {
      evaluate(true, true);
      (opt as unknown as { updateHessian(): void }).updateHessian();
    }
  }
  o.beforeFinal?.(opt);
  const finalLoss = evaluate(false);
  opt.free();
  for (const p of params) {
    p.grad!.free();
    p.free();
  }
  return { finalLoss, losses };
}
