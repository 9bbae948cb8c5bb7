// src-ts/optim/nadam.ts — NAdam, Adam with Nesterov momentum (Dozat 2016, "Incorporating Nesterov
// Momentum into Adam"; torch.optim.NAdam).
//
//   g_t = ±∇f(θ) (− when maximize), times gradScale
//   decoupledWeightDecay: θ ← θ·(1 − γλ)      else g_t ← g_t + λθ   (when λ ≠ 0)
//   μ_t = β1·(1 − ½·0.96^(t·ψ)),  Π_t = μ_1⋯μ_t      (ψ = momentumDecay; Π kept per param, float32)
//   m_t = β1·m + (1 − β1)·g_t,  v_t = β2·v + (1 − β2)·g_t²,  d = √(v_t / (1 − β2^t)) + ε
//   θ ← θ − γ(1 − μ_t)/(1 − Π_t) · g_t/d − γμ_{t+1}/(1 − Π_t·μ_{t+1}) · m_t/d
// Defaults are torch's: lr 2e-3, betas (0.9, 0.999), eps 1e-8, weightDecay 0, momentumDecay 4e-3.
// decoupledWeightDecay and maximize follow torch >= 2.1 (torch 1.13 has neither). The state holds
// torch's mu_product as the number `muProduct`.
import { checkBetas, checkBool, checkNumber } from "../validate.js";
import { ElementwiseOptimizer, type NativeOptions } from "./elementwise.js";
import type { CommonOptions, ParamsInput, StepContext, UpdateItem } from "./optimizer.js";
import { runElementwise } from "./run.js";

/** Options of NAdam (torch.optim.NAdam). */
export interface NAdamOptions {
  /** the learning rate γ, >= 0. Default: 2e-3. */
  lr: number;
  /** [β1, β2], each in [0, 1). Default: [0.9, 0.999]. */
  betas: [number, number];
  /** ε added to the denominator, >= 0. Default: 1e-8. */
  eps: number;
  /** λ, >= 0: L2 added to the gradient, or decoupled with decoupledWeightDecay. Default: 0. */
  weightDecay: number;
  /** ψ, the momentum schedule's decay: μ_t = β1(1 − 0.5·0.96^(tψ)). Default: 4e-3. */
  momentumDecay: number;
  /** decay θ ← θ(1 − γλ) as AdamW does, instead of L2. Default: false. */
  decoupledWeightDecay: boolean;
  /** ascend the objective instead of descending it (torch's maximize). Default: false. */
  maximize: boolean;
}

const NADAM_DEFAULTS: NAdamOptions = {
  lr: 2e-3,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weightDecay: 0,
  momentumDecay: 4e-3,
  decoupledWeightDecay: false,
  maximize: false,
};

/** NAdam, Adam with Nesterov momentum (Dozat 2016; torch.optim.NAdam). */
export class NAdam extends ElementwiseOptimizer<NAdamOptions> {
  constructor(params: ParamsInput<NAdamOptions>, options: Partial<NAdamOptions> & CommonOptions = {}) {
    super("nadam", params, NADAM_DEFAULTS, options);
  }

  protected checkOptions(o: NAdamOptions, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    checkBetas(o.betas, `${where}.betas`, 2);
    checkNumber(o.eps, `${where}.eps`, { min: 0 });
    checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
    checkNumber(o.momentumDecay, `${where}.momentumDecay`, { min: 0 });
    checkBool(o.decoupledWeightDecay, `${where}.decoupledWeightDecay`);
    checkBool(o.maximize, `${where}.maximize`);
  }

  protected override scalarSpec(): Record<string, number> {
    return { muProduct: 1 };
  }

  protected nativeOptions(o: NAdamOptions): NativeOptions {
    return {
      lr: o.lr,
      beta1: o.betas[0],
      beta2: o.betas[1],
      eps: o.eps,
      weightDecay: o.weightDecay,
      momentumDecay: o.momentumDecay,
      decoupled: o.decoupledWeightDecay,
      maximize: o.maximize,
    };
  }

  // The op also advances each param's mu_product, a host scalar.
  protected override applyUpdate(o: NAdamOptions, items: UpdateItem[], ctx: StepContext): void {
    runElementwise("nadam", this.nativeOptions(o), items, ctx, { hostScalar: "muProduct" });
  }
}
