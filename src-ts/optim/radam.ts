// src-ts/optim/radam.ts — RAdam, rectified Adam (Liu et al. 2020, "On the Variance of the Adaptive
// Learning Rate and Beyond"; torch.optim.RAdam).
//
//   g_t = ±∇f(θ) (− when maximize), times gradScale
//   decoupledWeightDecay: θ ← θ·(1 − γλ)      else g_t ← g_t + λθ   (when λ ≠ 0)
//   m_t = β1·m + (1 − β1)·g_t,  v_t = β2·v + (1 − β2)·g_t²,  m̂ = m_t / (1 − β1^t)
//   ρ∞ = 2/(1 − β2) − 1,  ρ_t = ρ∞ − 2tβ2^t / (1 − β2^t)
//   ρ_t > 5: θ ← θ − γ·m̂·r_t·√(1 − β2^t) / (√v_t + ε),  r_t = √((ρ_t−4)(ρ_t−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρ_t))
//   else:    θ ← θ − γ·m̂          (the variance is not yet tractable: SGD with momentum)
// Defaults are torch's: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weightDecay 0. decoupledWeightDecay
// and maximize follow torch >= 2.1 (torch 1.13 has neither).
import { checkBetas, checkBool, checkNumber } from "../validate.js";
import { ElementwiseOptimizer, type NativeOptions } from "./elementwise.js";
import type { CommonOptions, ParamsInput } from "./optimizer.js";

/** Options of RAdam (torch.optim.RAdam). */
export interface RAdamOptions {
  /** the learning rate γ, >= 0. Default: 1e-3. */
  lr: number;
  /** [β1, β2], each in [0, 1). Default: [0.9, 0.999]. */
  betas: [number, number];
  /** ε added to the denominator, >= 0. Default: 1e-8. */
  eps: number;
  /** λ, >= 0: L2 added to the gradient, or decoupled with decoupledWeightDecay. Default: 0. */
  weightDecay: number;
  /** decay θ ← θ(1 − γλ) as AdamW does, instead of L2. Default: false. */
  decoupledWeightDecay: boolean;
  /** ascend the objective instead of descending it (torch's maximize). Default: false. */
  maximize: boolean;
}

const RADAM_DEFAULTS: RAdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, maximize: false };

/** RAdam, rectified Adam (Liu et al. 2020; torch.optim.RAdam): SGD with momentum until the variance estimate is tractable. */
export class RAdam extends ElementwiseOptimizer<RAdamOptions> {
  constructor(params: ParamsInput<RAdamOptions>, options: Partial<RAdamOptions> & CommonOptions = {}) {
    super("radam", params, RADAM_DEFAULTS, options);
  }

  protected checkOptions(o: RAdamOptions, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    checkBetas(o.betas, `${where}.betas`, 2);
    checkNumber(o.eps, `${where}.eps`, { min: 0 });
    checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
    checkBool(o.decoupledWeightDecay, `${where}.decoupledWeightDecay`);
    checkBool(o.maximize, `${where}.maximize`);
  }

  protected nativeOptions(o: RAdamOptions): NativeOptions {
    return {
      lr: o.lr,
      beta1: o.betas[0],
      beta2: o.betas[1],
      eps: o.eps,
      weightDecay: o.weightDecay,
      decoupled: o.decoupledWeightDecay,
      maximize: o.maximize,
    };
  }
}
