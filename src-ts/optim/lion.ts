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

export interface LionOptions {
  lr: number;
  betas: [number, number];
  weightDecay: number;
  maximize: boolean;
}

const LION_DEFAULTS: LionOptions = { lr: 1e-4, betas: [0.9, 0.99], weightDecay: 0, maximize: false };

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
