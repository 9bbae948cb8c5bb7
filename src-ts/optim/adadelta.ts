// src-ts/optim/adadelta.ts — Adadelta (Zeiler 2012, "ADADELTA: An Adaptive Learning Rate
// Method"; torch.optim.Adadelta, torch 1.13).
//
//   g_t = ±∇f(θ) (− when maximize), times gradScale;  g_t ← g_t + λθ   (when λ ≠ 0)
//   v ← ρ·v + (1 − ρ)·g_t² ;  Δ = √(u + ε) / √(v + ε) · g_t ;  u ← ρ·u + (1 − ρ)·Δ²
//   θ ← θ − γ·Δ
// Defaults are torch's: lr 1, rho 0.9, eps 1e-6, weightDecay 0, maximize false.
import { checkBool, checkNumber } from "../validate.js";
import { ElementwiseOptimizer, type NativeOptions } from "./elementwise.js";
import type { CommonOptions, ParamsInput } from "./optimizer.js";

/** Options of Adadelta (torch.optim.Adadelta). */
export interface AdadeltaOptions {
  /** the step's scale (torch default 1) */
  lr: number;
  /** decay of the running averages, in [0, 1] (0.9) */
  rho: number;
  /** added inside both square roots (1e-6) */
  eps: number;
  /** L2 penalty added to the gradient (0) */
  weightDecay: number;
  /** ascend instead of descend (false) */
  maximize: boolean;
}

const ADADELTA_DEFAULTS: AdadeltaOptions = { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false };

/** Adadelta (Zeiler 2012; torch.optim.Adadelta): step sizes from running averages of squared gradients and squared updates. */
export class Adadelta extends ElementwiseOptimizer<AdadeltaOptions> {
  constructor(params: ParamsInput<AdadeltaOptions>, options: Partial<AdadeltaOptions> & CommonOptions = {}) {
    super("adadelta", params, ADADELTA_DEFAULTS, options);
  }

  protected checkOptions(o: AdadeltaOptions, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    checkNumber(o.rho, `${where}.rho`, { min: 0, max: 1 });
    checkNumber(o.eps, `${where}.eps`, { min: 0 });
    checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
    checkBool(o.maximize, `${where}.maximize`);
  }

  protected nativeOptions(o: AdadeltaOptions): NativeOptions {
    return { ...o };
  }
}
