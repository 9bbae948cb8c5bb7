// src-ts/optim/ademamix.ts — AdEMAMix (Pagliardini, Ablin & Grangier 2024, "The AdEMAMix
// Optimizer: Better, Faster, Older"), bitsandbytes' AdEMAMix (32-bit state) semantics:
//
//   g = ∇f(θ) times gradScale
//   m1 ← β1·m1 + (1 − β1)·g        m2 ← β3·m2 + (1 − β3)·g        ν ← β2·ν + (1 − β2)·g²
//   θ ← θ − γ·(m1/(1 − β1^t) + α·m2) / (√ν/√(1 − β2^t) + ε) ;  θ ← θ·(1 − γλ)   (λ > 0)
// With tAlpha / tBeta3 set, α and β3 warm up over that many steps (the paper's schedulers):
//   α_t = min(t·α/T_α, α) ;  β3_t = min(exp(ln β1·ln β3 / ((1 − t/T_β3)·ln β3 + (t/T_β3)·ln β1)), β3)
// Defaults are bitsandbytes': lr 1e-3, betas (0.9, 0.999, 0.9999), alpha 5, tAlpha and tBeta3
// null (no warmup), eps 1e-8, weightDecay 1e-2. The kernel is kernels/math/ademamix.cuh.
import { checkBetas, checkNumber } from "../validate.js";
import { ElementwiseOptimizer, type NativeOptions } from "./elementwise.js";
import type { CommonOptions, ParamsInput } from "./optimizer.js";

/** Options of AdEMAMix (bitsandbytes' AdEMAMix). */
export interface AdEMAMixOptions {
  /** the step size γ (1e-3) */
  lr: number;
  /** β1 (fast EMA), β2 (second moment), β3 (slow EMA): [0.9, 0.999, 0.9999] */
  betas: [number, number, number];
  /** α, the slow EMA's weight in the update (5) */
  alpha: number;
  /** warm α up linearly over this many steps (null: none) */
  tAlpha: number | null;
  /** warm β3 up from β1 over this many steps (null: none) */
  tBeta3: number | null;
  /** ε in the denominator (1e-8) */
  eps: number;
  /** decoupled weight decay λ (1e-2) */
  weightDecay: number;
}

const ADEMAMIX_DEFAULTS: AdEMAMixOptions = { lr: 1e-3, betas: [0.9, 0.999, 0.9999], alpha: 5, tAlpha: null, tBeta3: null, eps: 1e-8, weightDecay: 1e-2 };

/** The option checks AdEMAMix and AdEMAMix8bit share. */
export function checkAdemamixOptions(o: AdEMAMixOptions, where: string): void {
  checkNumber(o.lr, `${where}.lr`, { min: 0 });
  checkBetas(o.betas, `${where}.betas`, 3);
  checkNumber(o.alpha, `${where}.alpha`, { min: 0 });
  if (o.tAlpha !== null) checkNumber(o.tAlpha, `${where}.tAlpha`, { min: 0, minOpen: true, integer: true });
  if (o.tBeta3 !== null) {
    checkNumber(o.tBeta3, `${where}.tBeta3`, { min: 0, minOpen: true, integer: true });
    // The scheduler interpolates between ln β1 and ln β3.
    checkBetas(o.betas, `${where}.betas (with tBeta3)`, 3, { min: 0, minOpen: true, max: 1, maxOpen: true });
  }
  checkNumber(o.eps, `${where}.eps`, { min: 0 });
  checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
}

/** AdEMAMix (Pagliardini et al. 2024): Adam with a second, slow EMA of the gradients mixed into the update. */
export class AdEMAMix extends ElementwiseOptimizer<AdEMAMixOptions> {
  constructor(params: ParamsInput<AdEMAMixOptions>, options: Partial<AdEMAMixOptions> & CommonOptions = {}) {
    super("ademamix", params, ADEMAMIX_DEFAULTS, options);
  }

  protected checkOptions(o: AdEMAMixOptions, where: string): void {
    checkAdemamixOptions(o, where);
  }

  protected nativeOptions(o: AdEMAMixOptions): NativeOptions {
    const [beta1, beta2, beta3] = o.betas;
    return { lr: o.lr, beta1, beta2, beta3, alpha: o.alpha, tAlpha: o.tAlpha ?? 0, tBeta3: o.tBeta3 ?? 0, eps: o.eps, weightDecay: o.weightDecay };
  }
}
