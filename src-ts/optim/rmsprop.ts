// src-ts/optim/rmsprop.ts — RMSprop (torch.optim.RMSprop; Hinton's lecture 6e, Graves 2013 for
// the centered form).
//
//   g_t = ±∇f(θ) (− when maximize), times gradScale;  g_t ← g_t + λθ  (when λ ≠ 0)
//   v_t = α·v + (1 − α)·g_t²
//   centered: ḡ_t = α·ḡ + (1 − α)·g_t,  d = √(v_t − ḡ_t²) + ε;  else d = √v_t + ε
//   momentum μ > 0: b_t = μ·b + g_t/d,  θ ← θ − γ·b_t;  else θ ← θ − γ·g_t/d
// Defaults: lr 1e-2, alpha 0.99, eps 1e-8, weightDecay 0, momentum 0, centered false, maximize false.
import { checkBool, checkNumber } from "../validate.js";
import { ElementwiseOptimizer, type NativeOptions } from "./elementwise.js";
import type { CommonOptions, ParamsInput } from "./optimizer.js";

/** Options of RMSprop (torch.optim.RMSprop). */
export interface RMSpropOptions {
  /** the learning rate γ, >= 0. Default: 1e-2. */
  lr: number;
  /** smoothing constant α of the squared-gradient average, in [0, 1]. Default: 0.99. */
  alpha: number;
  /** ε added to the denominator, >= 0. Default: 1e-8. */
  eps: number;
  /** L2 penalty λ added to the gradient (g + λθ), >= 0. Default: 0. */
  weightDecay: number;
  /** momentum factor, >= 0 (0: none). Default: 0. */
  momentum: number;
  /** normalise by the estimated variance (subtract the squared mean gradient). Default: false. */
  centered: boolean;
  /** ascend the objective instead of descending it (torch's maximize). Default: false. */
  maximize: boolean;
}

const RMSPROP_DEFAULTS: RMSpropOptions = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false };

/** RMSprop (Hinton's lecture 6e; torch.optim.RMSprop), optionally centered and with momentum. */
export class RMSprop extends ElementwiseOptimizer<RMSpropOptions> {
  constructor(params: ParamsInput<RMSpropOptions>, options: Partial<RMSpropOptions> & CommonOptions = {}) {
    super("rmsprop", params, RMSPROP_DEFAULTS, options);
  }

  protected checkOptions(o: RMSpropOptions, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    // Stricter than torch (alpha >= 0): above 1 the average takes a negative share of g², can turn
    // negative, and its square root NaN.
    checkNumber(o.alpha, `${where}.alpha`, { min: 0, max: 1 });
    checkNumber(o.eps, `${where}.eps`, { min: 0 });
    checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
    checkNumber(o.momentum, `${where}.momentum`, { min: 0 });
    checkBool(o.centered, `${where}.centered`);
    checkBool(o.maximize, `${where}.maximize`);
  }

  protected nativeOptions(o: RMSpropOptions): NativeOptions {
    return { ...o };
  }
}
