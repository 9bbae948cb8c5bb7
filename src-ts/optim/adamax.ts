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

/** Options of Adamax (torch.optim.Adamax). */
export interface AdamaxOptions {
  /** the learning rate γ, >= 0. Default: 2e-3. */
  lr: number;
  /** [β1, β2]: the first moment's decay and the infinity norm's, each in [0, 1). Default: [0.9, 0.999]. */
  betas: [number, number];
  /** ε added to the infinity norm, >= 0. Default: 1e-8. */
  eps: number;
  /** L2 penalty λ added to the gradient (g + λθ), >= 0. Default: 0. */
  weightDecay: number;
  /** ascend the objective instead of descending it (torch's maximize). Default: false. */
  maximize: boolean;
}

const ADAMAX_DEFAULTS: AdamaxOptions = { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false };

/** Adamax, Adam with the infinity norm (Kingma & Ba 2015, section 7; torch.optim.Adamax). */
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
