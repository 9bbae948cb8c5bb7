// src-ts/optim/adagrad.ts — Adagrad (Duchi, Hazan & Singer 2011, "Adaptive Subgradient Methods";
// torch.optim.Adagrad).
//
//   g_t = ±∇f(θ) (− when maximize), times gradScale;  g_t ← g_t + λθ   (when λ ≠ 0)
//   γ_t = γ / (1 + (t − 1)·lrDecay)
//   s_t = s + g_t²   (s_0 = initialAccumulatorValue),  θ ← θ − γ_t · g_t / (√s_t + ε)
// Defaults are torch's: lr 1e-2, lrDecay 0, weightDecay 0, initialAccumulatorValue 0, eps 1e-10.
// The state holds torch's sum as `sum`; torch fills it when the optimizer is built, here when a
// param first steps (the same numbers).
import { checkBool, checkNumber } from "../validate.js";
import { ElementwiseOptimizer, type NativeOptions } from "./elementwise.js";
import type { CommonOptions, ParamsInput } from "./optimizer.js";

/** Options of Adagrad (torch.optim.Adagrad). */
export interface AdagradOptions {
  /** the learning rate γ, >= 0. Default: 1e-2. */
  lr: number;
  /** γ_t = γ / (1 + (t − 1)·lrDecay), >= 0. Default: 0. */
  lrDecay: number;
  /** L2 penalty λ added to the gradient (g + λθ), >= 0. Default: 0. */
  weightDecay: number;
  /** the squared-gradient sum's starting value, >= 0. Default: 0. */
  initialAccumulatorValue: number;
  /** ε added to the denominator, >= 0. Default: 1e-10. */
  eps: number;
  /** ascend the objective instead of descending it (torch's maximize). Default: false. */
  maximize: boolean;
}

const ADAGRAD_DEFAULTS: AdagradOptions = { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false };

/** Adagrad (Duchi et al. 2011; torch.optim.Adagrad): per-coordinate rates from the sum of squared gradients. */
export class Adagrad extends ElementwiseOptimizer<AdagradOptions> {
  constructor(params: ParamsInput<AdagradOptions>, options: Partial<AdagradOptions> & CommonOptions = {}) {
    super("adagrad", params, ADAGRAD_DEFAULTS, options);
  }

  protected checkOptions(o: AdagradOptions, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    checkNumber(o.lrDecay, `${where}.lrDecay`, { min: 0 });
    checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
    checkNumber(o.initialAccumulatorValue, `${where}.initialAccumulatorValue`, { min: 0 });
    checkNumber(o.eps, `${where}.eps`, { min: 0 });
    checkBool(o.maximize, `${where}.maximize`);
  }

  protected override stateInit(o: AdagradOptions): Record<string, number> {
    return { sum: o.initialAccumulatorValue };
  }

  protected nativeOptions(o: AdagradOptions): NativeOptions {
    return { lr: o.lr, lrDecay: o.lrDecay, weightDecay: o.weightDecay, eps: o.eps, maximize: o.maximize };
  }
}
