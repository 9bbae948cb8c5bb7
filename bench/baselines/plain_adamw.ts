// bench/baselines/plain_adamw.ts — AdamW as a plain TypeScript loop over Float32Arrays (one
// thread, no SIMD beyond what V8 does itself): what a Node framework without a native optimizer
// runs. Same update as torch.optim.AdamW.
export class PlainAdamW {
  #t = 0;
  readonly #m: Float32Array[];
  readonly #v: Float32Array[];
  constructor(
    readonly params: Float32Array[],
    readonly grads: Float32Array[],
    readonly lr = 1e-3,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-8,
    readonly weightDecay = 1e-2,
  ) {
    this.#m = params.map((p) => new Float32Array(p.length));
    this.#v = params.map((p) => new Float32Array(p.length));
  }

  step(): void {
    this.#t += 1;
    const { lr, beta1, beta2, eps, weightDecay } = this;
    const stepSize = lr / (1 - beta1 ** this.#t);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** this.#t);
    const decay = 1 - lr * weightDecay;
    this.params.forEach((p, k) => {
      const g = this.grads[k]!;
      const m = this.#m[k]!;
      const v = this.#v[k]!;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]!;
        const mi = beta1 * m[i]! + (1 - beta1) * gi;
        const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i]! * decay - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
      }
    });
  }
}
