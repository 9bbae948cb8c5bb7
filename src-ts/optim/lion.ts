// src-ts/optim/lion.ts — Lion, EvoLved Sign Momentum (Chen et al. 2023, "Symbolic Discovery of
// Optimization Algorithms", arXiv:2302.06675; the authors' google/automl lion_pytorch.py).
//
//   g_t = ±∇f(θ) (− when maximize), times gradScale
//   θ ← θ·(1 − γλ)                         (decoupled weight decay)
//   θ ← θ − γ·sign(β1·m + (1 − β1)·g_t)
//   m ← β2·m + (1 − β2)·g_t
// Defaults are the authors': lr 1e-4, betas (0.9, 0.99), weightDecay 0. The paper advises an lr
// 3-10x smaller than AdamW's and a weight decay 3-10x larger.
import { checkBetas, checkBool, checkNumber } from "../validate.js";
import { ElementwiseOptimizer, type NativeOptions } from "./elementwise.js";
import type { CommonOptions, ParamsInput } from "./optimizer.js";

/** Options of Lion. */
export interface LionOptions {
  /** the learning rate γ, >= 0 (Lion wants 3–10× less than AdamW). Default: 1e-4. */
  lr: number;
  /** [β1, β2]: β1 interpolates the update's sign, β2 the momentum, each in [0, 1). Default: [0.9, 0.99]. */
  betas: [number, number];
  /** decoupled weight decay λ, >= 0: θ ← θ(1 − γλ). Default: 0. */
  weightDecay: number;
  /** ascend the objective instead of descending it (torch's maximize). Default: false. */
  maximize: boolean;
}

const LION_DEFAULTS: LionOptions = { lr: 1e-4, betas: [0.9, 0.99], weightDecay: 0, maximize: false };

/** Lion, EvoLved Sign Momentum (Chen et al. 2023): a sign update with one momentum state. */
export class Lion extends ElementwiseOptimizer<LionOptions> {
  constructor(params: ParamsInput<LionOptions>, options: Partial<LionOptions> & CommonOptions = {}) {
    super("lion", params, LION_DEFAULTS, options);
  }

  protected checkOptions(o: LionOptions, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    checkBetas(o.betas, `${where}.betas`, 2, { min: 0, max: 1 });
    checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
    checkBool(o.maximize, `${where}.maximize`);
  }

  protected nativeOptions(o: LionOptions): NativeOptions {
    return { lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], weightDecay: o.weightDecay, maximize: o.maximize };
  }
}
