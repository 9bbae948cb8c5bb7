// src-ts/optim/sophia.ts — SophiaG (Liu et al. 2023, "Sophia: A Scalable Stochastic Second-order
// Optimizer for Language Model Pre-training"), as the authors' implementation (Liuhong99/Sophia):
//
//   step():          g = ±∇f(θ), times gradScale;  θ ← θ·(1 − γλ);  m ← β1·m + (1 − β1)·g
//                    θ ← θ − γ·sign(m)·min(|m| / (ρ·bs·h + 1e-15), 1)
//   updateHessian(): h ← β2·h + (1 − β2)·ĥ⊙ĥ
// Defaults are the reference's: lr 1e-4, betas (0.965, 0.99), rho 0.04, weightDecay 0.1 and
// batchSize 5120 (the reference's step(bs=...): the tokens per step).
//
// The Hessian estimate (Gauss-Newton-Bartlett): every k steps (the reference uses k = 10), run
// the model on a batch, sample labels ŷ from its own output distribution (not the data's labels),
// compute the mean cross-entropy against ŷ, backpropagate, and call updateHessian(): it reads
// those gradients ĝ from the params' grads (as the reference reads p.grad) and keeps the moving
// average of ĝ⊙ĝ; the batchSize option supplies the estimator's factor B. Or pass the estimates
// yourself: updateHessian([ĝ per param, in params() order, null to skip]).
import { fail } from "../errors.js";
import { native } from "../native.js";
import { gradNormOf } from "./precision.js";
import { checkGradFor, type Tensor } from "../tensor.js";
import { checkBetas, checkBool, checkNumber } from "../validate.js";
import { ElementwiseOptimizer, type NativeOptions } from "./elementwise.js";
import type { CommonOptions, ParamsInput } from "./optimizer.js";

/** Options of Sophia (the SophiaG reference implementation). */
export interface SophiaOptions {
  /** the learning rate γ, >= 0. Default: 1e-4. */
  lr: number;
  /** [β1, β2]: the momentum's and the Hessian estimate's EMA decays, each in [0, 1). Default: [0.965, 0.99]. */
  betas: [number, number];
  /** ρ, the clipping scale of the preconditioned update, > 0. Default: 0.04. */
  rho: number;
  /** decoupled weight decay λ, >= 0. Default: 0.1. */
  weightDecay: number;
  /** tokens per batch, scaling the Hessian estimate (the reference's bs). Default: 5120. */
  batchSize: number;
  /** ascend the objective instead of descending it (torch's maximize). Default: false. */
  maximize: boolean;
}

const SOPHIA_DEFAULTS: SophiaOptions = { lr: 1e-4, betas: [0.965, 0.99], rho: 0.04, weightDecay: 0.1, batchSize: 5120, maximize: false };

/** Sophia (Liu et al. 2023): a clipped, diagonal-Hessian-preconditioned update; feed it a Hessian estimate with updateHessian(). */
export class Sophia extends ElementwiseOptimizer<SophiaOptions> {
  constructor(params: ParamsInput<SophiaOptions>, options: Partial<SophiaOptions> & CommonOptions = {}) {
    super("sophia", params, SOPHIA_DEFAULTS, options);
  }

  protected checkOptions(o: SophiaOptions, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    checkBetas(o.betas, `${where}.betas`, 2);
    checkNumber(o.rho, `${where}.rho`, { min: 0, minOpen: true });
    checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
    checkNumber(o.batchSize, `${where}.batchSize`, { min: 0, minOpen: true });
    checkBool(o.maximize, `${where}.maximize`);
  }

  protected nativeOptions(o: SophiaOptions): NativeOptions {
    return { lr: o.lr, beta1: o.betas[0], rho: o.rho, batchSize: o.batchSize, weightDecay: o.weightDecay, maximize: o.maximize };
  }

  /**
   * h ← β2·h + (1 − β2)·ĝ⊙ĝ for every param with an estimate: the params' grads (default), or
   * `estimates` (one tensor or null per param, in params() order). Non-finite estimates are
   * refused before any h changes.
   */
  updateHessian(estimates?: (Tensor | null)[]): void {
    const params = this.params();
    if (estimates !== undefined && (!Array.isArray(estimates) || estimates.length !== params.length)) {
      fail("ERR_INVALID_ARGUMENT", `updateHessian: expected ${params.length} estimates (one per param, null to skip), got ${Array.isArray(estimates) ? estimates.length : typeof estimates}`);
    }
    const held = estimates ? params.map((p) => p.grad) : null;
    try {
      if (estimates) {
        estimates.forEach((e, i) => {
          if (e !== null) checkGradFor(params[i]!, e, `updateHessian: estimates[${i}]`);
        });
        params.forEach((p, i) => (p.grad = estimates[i] ?? null));
      }
      const plans = this.prepareItems();
      const all = plans.flatMap((p) => p.items.map((it) => it.grad));
      if (all.length && !Number.isFinite(gradNormOf(all, Infinity))) {
        fail("ERR_RANGE", "updateHessian: the Hessian estimate holds NaN or Infinity; nothing changed");
      }
      for (const { options, items } of plans) {
        native.optimizerStep(
          "sophia_hessian",
          [items.map((it) => it.param.native), items.map((it) => it.grad.native), items.map((it) => it.state.tensors.hessian!.native)],
          items.map(() => 1),
          items.map(() => false),
          { beta2: options.betas[1] },
        );
      }
    } finally {
      if (held) params.forEach((p, i) => (p.grad = held[i] ?? null));
    }
  }
}
