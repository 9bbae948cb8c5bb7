// src-ts/optim/adam.ts — Adam and AdamW on the fused multi-tensor kernel.
//
// torch.optim.Adam / AdamW semantics (Kingma & Ba 2015; Loshchilov & Hutter 2019), t = step:
//   g_t = ±∇f(θ_{t-1}) (− when maximize), times gradScale
//   AdamW: θ ← θ·(1 − γλ)               Adam: g_t ← g_t + λθ   (L2, when λ ≠ 0)
//   m_t = β1·m + (1 − β1)·g_t           v_t = β2·v + (1 − β2)·g_t²
//   v̂max = max(v̂max, v_t)   (amsgrad; used instead of v_t below)
//   θ ← θ − γ/(1 − β1^t) · m_t / (√v_t / √(1 − β2^t) + ε)
// Defaults are torch's: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weightDecay 0 (Adam) / 1e-2 (AdamW).
import { checkBetas, checkBool, checkNumber } from "../validate.js";
import { ElementwiseOptimizer, type NativeOptions } from "./elementwise.js";
import type { CommonOptions, ParamsInput } from "./optimizer.js";

/** Options of Adam and AdamW (torch.optim.Adam / AdamW; every field may also be set per param group). */
export interface AdamOptions {
  /** the learning rate γ, >= 0. Default: 1e-3. */
  lr: number;
  /** [β1, β2]: decay rates of the first and second moment estimates, each in [0, 1). Default: [0.9, 0.999]. */
  betas: [number, number];
  /** ε added to the denominator √v̂ for numerical stability, >= 0. Default: 1e-8. */
  eps: number;
  /** λ, >= 0: Adam adds λθ to the gradient (L2); AdamW decays θ ← θ(1 − γλ) (decoupled). Default: 0 (Adam), 1e-2 (AdamW). */
  weightDecay: number;
  /** use the maximum of past second moments (AMSGrad, Reddi et al. 2018). Default: false. */
  amsgrad: boolean;
  /** ascend the objective instead of descending it (torch's maximize). Default: false. */
  maximize: boolean;
}

const ADAM_DEFAULTS: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false };
const ADAMW_DEFAULTS: AdamOptions = { ...ADAM_DEFAULTS, weightDecay: 1e-2 };

abstract class AdamBase extends ElementwiseOptimizer<AdamOptions> {
  protected abstract readonly decoupled: boolean;

  protected constructor(params: ParamsInput<AdamOptions>, defaults: AdamOptions, options: Partial<AdamOptions> & CommonOptions) {
    super("adam", params, defaults, options);
  }

  protected override get capturableSteps(): boolean {
    return true;
  }

  protected checkOptions(o: AdamOptions, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    checkBetas(o.betas, `${where}.betas`, 2);
    checkNumber(o.eps, `${where}.eps`, { min: 0 });
    checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
    checkBool(o.amsgrad, `${where}.amsgrad`);
    checkBool(o.maximize, `${where}.maximize`);
  }

  protected nativeOptions(o: AdamOptions): NativeOptions {
    return {
      lr: o.lr,
      beta1: o.betas[0],
      beta2: o.betas[1],
      eps: o.eps,
      weightDecay: o.weightDecay,
      decoupled: this.decoupled,
      amsgrad: o.amsgrad,
      maximize: o.maximize,
    };
  }
}

/** Adam with L2 weight decay (torch.optim.Adam). */
export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> & CommonOptions = {}) {
    super(params, ADAM_DEFAULTS, options);
  }
}

/** Adam with decoupled weight decay (torch.optim.AdamW). */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> & CommonOptions = {}) {
    super(params, ADAMW_DEFAULTS, options);
  }
}
