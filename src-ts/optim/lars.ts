// src-ts/optim/lars.ts — LARS, layer-wise adaptive rate scaling (You, Gitman & Ginsburg 2017,
// "Large Batch Training of Convolutional Networks", Algorithm 1), the momentum form most
// implementations use:
//
//   trust = η·‖w‖ / (‖g‖ + β·‖w‖ + ε)   per param tensor (1 when either norm is 0)
//   v ← m·v + γ·trust·(g + β·w) ;  w ← w − v
// with g = ±∇f(w) times gradScale, β = weightDecay, η = trustCoefficient, γ = lr. A group with
// `lars: false` (biases and norms, as the paper and its successors exclude them) steps with
// trust 1: momentum SGD with its own weightDecay (usually 0 there). The norms come from the
// addon's fixed-tree reductions; the last step's trust ratio of each param is kept in its state
// (`trustRatio`).
import { native } from "../native.js";
import { checkBool, checkNumber } from "../validate.js";
import { ElementwiseOptimizer, type NativeOptions } from "./elementwise.js";
import type { CommonOptions, ParamsInput, StepContext, UpdateItem } from "./optimizer.js";
import { runElementwise } from "./run.js";

/** Options of LARS. */
export interface LARSOptions {
  /** the global rate γ (0.1) */
  lr: number;
  /** momentum m (0.9) */
  momentum: number;
  /** β: L2 penalty in the update and in the trust ratio's denominator (0) */
  weightDecay: number;
  /** η, the trust coefficient (1e-3, the paper's) */
  trustCoefficient: number;
  /** ε in the trust ratio's denominator (1e-8) */
  eps: number;
  /** adapt this group's rate by the trust ratio (true); false for biases and norms */
  lars: boolean;
  /** ascend instead of descend (false) */
  maximize: boolean;
}

const LARS_DEFAULTS: LARSOptions = { lr: 0.1, momentum: 0.9, weightDecay: 0, trustCoefficient: 1e-3, eps: 1e-8, lars: true, maximize: false };

/** LARS, layer-wise adaptive rate scaling (You et al. 2017): momentum SGD with each tensor's rate scaled by the trust ratio ‖θ‖ / ‖∇ + βθ‖. */
export class LARS extends ElementwiseOptimizer<LARSOptions> {
  constructor(params: ParamsInput<LARSOptions>, options: Partial<LARSOptions> & CommonOptions = {}) {
    super("lars", params, LARS_DEFAULTS, options);
  }

  protected checkOptions(o: LARSOptions, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    checkNumber(o.momentum, `${where}.momentum`, { min: 0, max: 1, maxOpen: true });
    checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
    checkNumber(o.trustCoefficient, `${where}.trustCoefficient`, { min: 0, minOpen: true, max: 1 });
    checkNumber(o.eps, `${where}.eps`, { min: 0 });
    checkBool(o.lars, `${where}.lars`);
    checkBool(o.maximize, `${where}.maximize`);
  }

  protected override scalarSpec(): Record<string, number> {
    return { trustRatio: 1 };
  }

  protected nativeOptions(o: LARSOptions): NativeOptions {
    return { lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, maximize: o.maximize };
  }

  protected override applyUpdate(o: LARSOptions, items: UpdateItem[], ctx: StepContext): void {
    const trust = items.map((it) => {
      if (!o.lars) return 1;
      const w = native.gradNorm([it.param.native], 2);
      const g = native.gradNorm([it.grad.native], 2) * ctx.gradScale;
      return w > 0 && g > 0 ? (o.trustCoefficient * w) / (g + o.weightDecay * w + o.eps) : 1;
    });
    runElementwise("lars", this.nativeOptions(o), items, ctx, { hostScalar: "trustRatio", hostValues: trust });
  }
}
