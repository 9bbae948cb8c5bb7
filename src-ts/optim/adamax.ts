// src-ts/optim/adamax.ts — Adamax, Adam under the infinity norm (Kingma & Ba 2015, section 7.1;
// torch.optim.Adamax).
//
//   g_t = ±∇f(θ) (− when maximize), times gradScale;  g_t ← g_t + λθ   (when λ ≠ 0)
//   m_t = β1·m + (1 − β1)·g_t,  u_t = max(β2·u, |g_t| + ε)
//   θ ← θ − γ/(1 − β1^t) · m_t / u_t
// Defaults are torch's: lr 2e-3, betas (0.9, 0.999), eps 1e-8, weightDecay 0. The state holds
// torch's exp_inf as `expInf`.
import { checkBetas, checkBool, checkNumber } from "../validate.js";
import { ElementwiseOptimizer, type NativeOptions } from "./elementwise.js";
import type { CommonOptions, ParamsInput } from "./optimizer.js";

export interface AdamaxOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

const ADAMAX_DEFAULTS: AdamaxOptions = { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false };

export class Adamax extends ElementwiseOptimizer<AdamaxOptions> {
  constructor(params: ParamsInput<AdamaxOptions>, options: Partial<AdamaxOptions> & CommonOptions = {}) {
    super("adamax", params, ADAMAX_DEFAULTS, options);
  }

  protected checkOptions(o: AdamaxOptions, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    checkBetas(o.betas, `${where}.betas`, 2);
    checkNumber(o.eps, `${where}.eps`, { min: 0 });
    checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
    checkBool(o.maximize, `${where}.maximize`);
  }

  protected nativeOptions(o: AdamaxOptions): NativeOptions {
    return { lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weightDecay, maximize: o.maximize };
  }
}
