// src-ts/optim/asgd.ts — averaged SGD (Polyak & Juditsky 1992; torch.optim.ASGD, torch 1.13):
// SGD with a decaying step size and a running average `ax` of the iterates (the averaged point
// is the result to evaluate with).
//
//   g_t = ±∇f(θ) (− when maximize), times gradScale;  g_t ← g_t + λ_wd·θ  (when weightDecay ≠ 0)
//   θ ← θ·(1 − λ·η) ;  θ ← θ − η·g_t ;  ax ← ax + μ·(θ − ax)  (ax ← θ while μ = 1)
//   then η ← lr / (1 + λ·lr·t)^α  and  μ ← 1 / max(1, t − t0), each per param in float32
// Defaults are torch's: lr 1e-2, lambd 1e-4, alpha 0.75, t0 1e6, weightDecay 0.
import { checkBool, checkNumber } from "../validate.js";
import { ElementwiseOptimizer, type NativeOptions } from "./elementwise.js";
import type { CommonOptions, ParamsInput, StepContext, UpdateItem } from "./optimizer.js";
import { runElementwise } from "./run.js";

/** Options of ASGD (torch.optim.ASGD). */
export interface ASGDOptions {
  /** the step size's start (1e-2) */
  lr: number;
  /** the decay term λ (1e-4) */
  lambd: number;
  /** the power of the step size's decay (0.75) */
  alpha: number;
  /** the step at which averaging starts (1e6) */
  t0: number;
  /** L2 penalty added to the gradient (0) */
  weightDecay: number;
  /** ascend instead of descend (false) */
  maximize: boolean;
}

const ASGD_DEFAULTS: ASGDOptions = { lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weightDecay: 0, maximize: false };

/** Averaged SGD (Polyak & Juditsky 1992; torch.optim.ASGD): SGD with a decaying step size and a running average of the iterates (state ax). */
export class ASGD extends ElementwiseOptimizer<ASGDOptions> {
  constructor(params: ParamsInput<ASGDOptions>, options: Partial<ASGDOptions> & CommonOptions = {}) {
    super("asgd", params, ASGD_DEFAULTS, options);
  }

  protected checkOptions(o: ASGDOptions, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    checkNumber(o.lambd, `${where}.lambd`, { min: 0 });
    checkNumber(o.alpha, `${where}.alpha`, { min: 0 });
    checkNumber(o.t0, `${where}.t0`, { min: 0 });
    checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
    checkBool(o.maximize, `${where}.maximize`);
  }

  /** eta: the param's step size, torch's 0-dim float32 tensor (its lr when the state is made). */
  protected override scalarSpec(o: ASGDOptions): Record<string, number> {
    return { eta: Math.fround(o.lr) };
  }

  protected nativeOptions(o: ASGDOptions): NativeOptions {
    return { ...o };
  }

  // The op also advances each param's eta, a host scalar.
  protected override applyUpdate(o: ASGDOptions, items: UpdateItem[], ctx: StepContext): void {
    runElementwise("asgd", this.nativeOptions(o), items, ctx, { hostScalar: "eta" });
  }
}
