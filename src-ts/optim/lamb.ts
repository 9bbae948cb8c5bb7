// src-ts/optim/lamb.ts — LAMB, layer-wise adaptive moments (You et al. 2019, "Large Batch
// Optimization for Deep Learning: Training BERT in 76 minutes"), apex FusedLAMB's semantics:
//
//   clip = ‖g‖/maxGradNorm when that exceeds 1 (‖g‖: every gradient of the step), else 1
//   g ← g/clip ;  (adamwMode false: g ← g + λθ)
//   m ← β1·m + (1 − β1)·g  (gradAveraging false: m ← β1·m + g) ;  v ← β2·v + (1 − β2)·g²
//   u = (m/(1 − β1ᵗ)) / (√(v/(1 − β2ᵗ)) + ε)  (+ λθ in adamwMode; no bias correction when off)
//   θ ← θ − γ·r·u,  r = ‖θ‖/‖u‖ per param tensor (1 when either is 0, or when λ = 0 unless useNvlamb)
// Defaults are apex's: lr 1e-3, betas (0.9, 0.999), eps 1e-6, weightDecay 0.01, biasCorrection,
// adamwMode, gradAveraging true, maxGradNorm 1 (null: no clipping), useNvlamb false. The norms
// come from the addon's fixed-tree reductions (‖θ‖ of the master weight where one is kept); r is
// formed in float32 as apex forms it, and kept per param (`trustRatio`, the last step's). apex
// clamps nothing beyond that: a zero norm falls back to r = 1. Kernels: kernels/math/lamb.cuh.
import { native } from "../native.js";
import type { Tensor } from "../tensor.js";
import { checkBetas, checkBool, checkNumber } from "../validate.js";
import { ElementwiseOptimizer, type NativeOptions } from "./elementwise.js";
import type { CommonOptions, ParamsInput, StateSpec, StepContext, StepOptions, StepResult, UpdateItem } from "./optimizer.js";
import { runElementwise } from "./run.js";

/** Options of LAMB (apex's FusedLAMB). */
export interface LAMBOptions {
  /** the step size γ (1e-3) */
  lr: number;
  /** β1, β2 ([0.9, 0.999]) */
  betas: [number, number];
  /** ε, outside the square root (1e-6) */
  eps: number;
  /** λ (0.01): added to the update (adamwMode) or to the gradient */
  weightDecay: number;
  /** divide the moments by 1 − βᵗ (true) */
  biasCorrection: boolean;
  /** decay in the update, as AdamW (true); false: L2 added to the gradient */
  adamwMode: boolean;
  /** m ← β1·m + (1 − β1)·g (true); false: m ← β1·m + g */
  gradAveraging: boolean;
  /** divide the gradients by ‖g‖/maxGradNorm where that exceeds 1 (1; null: never) */
  maxGradNorm: number | null;
  /** apply the trust ratio to every param, also those with λ = 0 (false: only where λ ≠ 0) */
  useNvlamb: boolean;
}

const LAMB_DEFAULTS: LAMBOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-6, weightDecay: 0.01, biasCorrection: true, adamwMode: true, gradAveraging: true, maxGradNorm: 1, useNvlamb: false };

/** LAMB (You et al. 2020; apex's FusedLAMB): Adam's update scaled per tensor by the trust ratio ‖θ‖ / ‖update‖. */
export class LAMB extends ElementwiseOptimizer<LAMBOptions> {
  // The norm of every gradient this step reads, computed once per step (apex: the global norm).
  #globalNorm: number | null = null;

  constructor(params: ParamsInput<LAMBOptions>, options: Partial<LAMBOptions> & CommonOptions = {}) {
    super("lamb_update", params, LAMB_DEFAULTS, options);
  }

  protected checkOptions(o: LAMBOptions, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    checkBetas(o.betas, `${where}.betas`, 2);
    checkNumber(o.eps, `${where}.eps`, { min: 0 });
    checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
    checkBool(o.biasCorrection, `${where}.biasCorrection`);
    checkBool(o.adamwMode, `${where}.adamwMode`);
    checkBool(o.gradAveraging, `${where}.gradAveraging`);
    if (o.maxGradNorm !== null) checkNumber(o.maxGradNorm, `${where}.maxGradNorm`, { min: 0, minOpen: true });
    checkBool(o.useNvlamb, `${where}.useNvlamb`);
  }

  /** m and v persist; the update u lives only through a step (scratchSpec). */
  protected override stateSpec(param: Tensor, options: LAMBOptions): StateSpec {
    const { update: _, ...spec } = super.stateSpec(param, options);
    return spec;
  }

  protected override scratchSpec(param: Tensor): StateSpec {
    return { update: { dtype: "float32", shape: param.shape } };
  }

  protected override scalarSpec(): Record<string, number> {
    return { trustRatio: 1 };
  }

  protected nativeOptions(o: LAMBOptions): NativeOptions {
    return { beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weightDecay, biasCorrection: o.biasCorrection, adamwMode: o.adamwMode, gradAveraging: o.gradAveraging, clip: 1 };
  }

  protected override get readsWholeGradNorm(): boolean {
    return this.paramGroups.some((g) => g.maxGradNorm !== null);
  }

  override step(options: StepOptions = {}): StepResult {
    this.#globalNorm = null;
    try {
      return super.step(options);
    } finally {
      this.#globalNorm = null;
    }
  }

  protected override applyUpdate(o: LAMBOptions, items: UpdateItem[], ctx: StepContext): void {
    // apex: clip = norm / max when norm > max, over the (scaled) gradients of every group.
    this.#globalNorm ??= this.wholeGradNorm() * ctx.gradScale;
    const clip = o.maxGradNorm !== null && this.#globalNorm > o.maxGradNorm ? this.#globalNorm / o.maxGradNorm : 1;
    runElementwise("lamb_update", { ...this.nativeOptions(o), clip }, items, ctx);
    const f = Math.fround;
    const ratios = items.map((it) => {
      if (!(o.useNvlamb || o.weightDecay !== 0)) return f(o.lr);
      const w = f(native.gradNorm([(it.state.tensors.master ?? it.param).native], 2));
      const u = f(native.gradNorm([it.scratch.update!.native], 2));
      return w !== 0 && u !== 0 ? f(f(o.lr) * f(w / u)) : f(o.lr);
    });
    runElementwise("lamb_apply", {}, items, ctx, { hostValues: ratios });
    // Kept as the trust ratio r = ratio / lr (1 where lr is 0).
    items.forEach((it, i) => (it.state.scalars.trustRatio = o.lr > 0 ? ratios[i]! / f(o.lr) : 1));
  }
}
