// src-ts/optim/sgd.ts — stochastic gradient descent with momentum (torch.optim.SGD).
//
//   g_t = ±∇f(θ) (− when maximize), times gradScale;  g_t ← g_t + λθ  (when λ ≠ 0)
//   momentum μ ≠ 0:  b_t = g_t on the buffer's first step, else μ·b + (1 − τ)·g_t
//                    g_t ← g_t + μ·b_t (nesterov)  or  g_t ← b_t
//   θ ← θ − γ·g_t
// Defaults: lr 1e-3 (current torch; 1.13 required it), momentum 0, dampening τ 0, weightDecay 0,
// nesterov false, maximize false. Nesterov needs momentum > 0 and zero dampening, as in torch.
import { fail } from "../errors.js";
import { checkBool, checkNumber } from "../validate.js";
import { ElementwiseOptimizer, type NativeOptions } from "./elementwise.js";
import type { CommonOptions, ParamsInput } from "./optimizer.js";

/** Options of SGD (torch.optim.SGD). */
export interface SGDOptions {
  /** the learning rate γ, >= 0. Default: 1e-3. */
  lr: number;
  /** momentum factor μ, >= 0 (0: plain SGD, no momentum buffer). Default: 0. */
  momentum: number;
  /** dampening τ of the momentum: b ← μb + (1 − τ)g. Default: 0. */
  dampening: number;
  /** L2 penalty λ added to the gradient (g + λθ), >= 0. Default: 0. */
  weightDecay: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default: false. */
  nesterov: boolean;
  /** ascend the objective instead of descending it (torch's maximize). Default: false. */
  maximize: boolean;
}

const SGD_DEFAULTS: SGDOptions = { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false };

/** Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay (torch.optim.SGD). */
export class SGD extends ElementwiseOptimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> & CommonOptions = {}) {
    super("sgd", params, SGD_DEFAULTS, options);
  }

  protected checkOptions(o: SGDOptions, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    checkNumber(o.momentum, `${where}.momentum`, { min: 0 });
    checkNumber(o.dampening, `${where}.dampening`);
    checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
    checkBool(o.nesterov, `${where}.nesterov`);
    checkBool(o.maximize, `${where}.maximize`);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      fail("ERR_INVALID_ARGUMENT", `${where}.nesterov: Nesterov momentum requires a momentum and zero dampening`);
    }
  }

  protected nativeOptions(o: SGDOptions): NativeOptions {
    return { ...o };
  }
}
