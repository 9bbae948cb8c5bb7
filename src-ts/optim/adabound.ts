// src-ts/optim/adabound.ts — AdaBound and AMSBound (Luo et al. 2019, "Adaptive Gradient Methods
// with Dynamic Bound of Learning Rate"), as the authors' implementation (Luolc/AdaBound) computes
// them:
//
//   g_t = ∇f(θ), times gradScale;  g_t ← g_t + λθ   (when λ ≠ 0)
//   m_t = β1·m + (1 − β1)·g_t,  v_t = β2·v + (1 − β2)·g_t²   (AMSBound: v̂ = max(v̂, v_t), used for v_t)
//   η_t = clip(γ_lr·√(1 − β2^t)/(1 − β1^t) / (√v_t + ε), lower_t, upper_t)
//   θ ← θ − η_t·m_t
// with final = finalLr·lr/baseLr, lower_t = final·(1 − 1/(γt + 1)), upper_t = final·(1 + 1/(γt)).
// baseLr is the group's lr when the group joined the optimizer (the reference's base_lrs), so
// a scheduler that scales lr scales the bounds with it. Defaults are the reference's: lr 1e-3,
// betas (0.9, 0.999), finalLr 0.1, gamma 1e-3, eps 1e-8, weightDecay 0, amsbound false.
import { fail } from "../errors.js";
import { Tensor } from "../tensor.js";
import { checkBetas, checkBool, checkNumber } from "../validate.js";
import { ElementwiseOptimizer, type NativeOptions } from "./elementwise.js";
import type { CommonOptions, ParamGroupInput, ParamsInput, StepContext, UpdateItem } from "./optimizer.js";
import { runElementwise } from "./run.js";

/** Options of AdaBound (the authors' reference implementation). */
export interface AdaBoundOptions {
  /** the Adam learning rate γ, > 0 when a group joins. Default: 1e-3. */
  lr: number;
  /** [β1, β2], each in [0, 1). Default: [0.9, 0.999]. */
  betas: [number, number];
  /** the SGD rate the bounds converge to (scaled by lr / the initial lr). Default: 0.1. */
  finalLr: number;
  /** the bounds' convergence speed, in (0, 1). Default: 1e-3. */
  gamma: number;
  /** ε added to the denominator, >= 0. Default: 1e-8. */
  eps: number;
  /** L2 penalty λ added to the gradient (g + λθ), >= 0. Default: 0. */
  weightDecay: number;
  /** the AMSGrad form (AMSBound). Default: false. */
  amsbound: boolean;
}

const ADABOUND_DEFAULTS: AdaBoundOptions = { lr: 1e-3, betas: [0.9, 0.999], finalLr: 0.1, gamma: 1e-3, eps: 1e-8, weightDecay: 0, amsbound: false };

/** AdaBound scales its bounds by lr / baseLr: a group's lr must be > 0 when it joins. */
function checkInitialLr(group: unknown, fallback: unknown, where: string): void {
  const lr = typeof group === "object" && group !== null && "lr" in group ? (group as { lr: unknown }).lr : fallback;
  if (typeof lr === "number" && lr === 0) {
    fail("ERR_RANGE", `${where}.lr: AdaBound scales its bounds by lr / (the group's initial lr), so a group's initial lr must be > 0, got 0`);
  }
}

/** AdaBound (Luo et al. 2019): Adam whose per-element rates are clipped to bounds that converge to SGD's finalLr. */
export class AdaBound extends ElementwiseOptimizer<AdaBoundOptions> {
  /** Each param's base lr: its group's lr when the group was added. */
  readonly #baseLr = new WeakMap<Tensor, number>();

  constructor(params: ParamsInput<AdaBoundOptions>, options: Partial<AdaBoundOptions> & CommonOptions = {}) {
    const fallback = options?.lr ?? ADABOUND_DEFAULTS.lr;
    const groups = Array.isArray(params) && !params.every((p) => p instanceof Tensor) ? params : [{}];
    groups.forEach((g, i) => checkInitialLr(g, fallback, `paramGroups[${i}]`));
    super("adabound", params, ADABOUND_DEFAULTS, options);
    for (const g of this.paramGroups) for (const p of g.params) this.#baseLr.set(p, g.lr);
  }

  override addParamGroup(group: ParamGroupInput<AdaBoundOptions>): void {
    checkInitialLr(group, this.defaults.lr, `paramGroups[${this.paramGroups.length}]`);
    super.addParamGroup(group);
    const added = this.paramGroups[this.paramGroups.length - 1]!;
    for (const p of added.params) this.#baseLr.set(p, added.lr);
  }
  protected checkOptions(o: AdaBoundOptions, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    checkBetas(o.betas, `${where}.betas`, 2);
    checkNumber(o.finalLr, `${where}.finalLr`, { min: 0, minOpen: true });
    checkNumber(o.gamma, `${where}.gamma`, { min: 0, minOpen: true, max: 1, maxOpen: true });
    checkNumber(o.eps, `${where}.eps`, { min: 0 });
    checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
    checkBool(o.amsbound, `${where}.amsbound`);
  }

  // baseLr only scales the bounds: any value serves where the used states are asked for.
  protected nativeOptions(o: AdaBoundOptions, baseLr = 1): NativeOptions {
    return {
      lr: o.lr,
      beta1: o.betas[0],
      beta2: o.betas[1],
      finalLr: o.finalLr,
      gamma: o.gamma,
      baseLr,
      eps: o.eps,
      weightDecay: o.weightDecay,
      amsbound: o.amsbound,
    };
  }

  protected override applyUpdate(o: AdaBoundOptions, items: UpdateItem[], ctx: StepContext): void {
    // Groups with equal options may still differ in base lr: one native call per base lr.
    const byBase = new Map<number, UpdateItem[]>();
    for (const it of items) {
      const base = this.#baseLr.get(it.param)!;
      if (byBase.has(base)) byBase.get(base)!.push(it);
      else byBase.set(base, [it]);
    }
    for (const [baseLr, batch] of byBase) runElementwise("adabound", this.nativeOptions(o, baseLr), batch, ctx);
  }
}
