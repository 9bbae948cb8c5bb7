// src-ts/optim/rprop.ts — Rprop, resilient backpropagation (Riedmiller & Braun 1993;
// torch.optim.Rprop, torch 1.13): each element's step size grows by etas[1] while its gradient
// keeps its sign and shrinks by etas[0] when it flips (that step then leaves the element as it is).
//
//   g_t = ±∇f(θ) (− when maximize), times gradScale
//   f = η+ if sign(g_t·g_prev) > 0, η− if < 0, else 1 ;  s ← clamp(s·f, stepSizes)
//   g_t ← 0 where f = η− ;  θ ← θ − sign(g_t)·s ;  g_prev ← g_t
// Defaults are torch's: lr 1e-2 (every step size's start), etas (0.5, 1.2), stepSizes (1e-6, 50).
import { fail } from "../errors.js";
import { checkBetas, checkBool, checkNumber } from "../validate.js";
import { ElementwiseOptimizer, type NativeOptions } from "./elementwise.js";
import type { CommonOptions, ParamsInput } from "./optimizer.js";

/** Options of Rprop (torch.optim.Rprop). */
export interface RpropOptions {
  /** every element's first step size (1e-2) */
  lr: number;
  /** [η−, η+]: the step size's factors when the gradient's sign flips or keeps, 0 < η− < 1 < η+ ([0.5, 1.2]) */
  etas: [number, number];
  /** [min, max] step size ([1e-6, 50]) */
  stepSizes: [number, number];
  /** ascend instead of descend (false) */
  maximize: boolean;
}

const RPROP_DEFAULTS: RpropOptions = { lr: 1e-2, etas: [0.5, 1.2], stepSizes: [1e-6, 50], maximize: false };

/** Rprop, resilient backpropagation (Riedmiller & Braun 1993; torch.optim.Rprop): per-element step sizes driven by the gradient's sign only. */
export class Rprop extends ElementwiseOptimizer<RpropOptions> {
  constructor(params: ParamsInput<RpropOptions>, options: Partial<RpropOptions> & CommonOptions = {}) {
    super("rprop", params, RPROP_DEFAULTS, options);
  }

  protected checkOptions(o: RpropOptions, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    const [minus, plus] = checkBetas(o.etas, `${where}.etas`, 2, {});
    if (!(minus! > 0 && minus! < 1 && plus! > 1)) fail("ERR_RANGE", `${where}.etas: expected 0 < etas[0] < 1 < etas[1], got [${minus}, ${plus}]`);
    const [lo, hi] = checkBetas(o.stepSizes, `${where}.stepSizes`, 2, { min: 0 });
    if (!(lo! <= hi!)) fail("ERR_RANGE", `${where}.stepSizes: expected stepSizes[0] <= stepSizes[1], got [${lo}, ${hi}]`);
    checkBool(o.maximize, `${where}.maximize`);
  }

  // torch fills step_size with the group's lr when the state is made.
  protected override stateInit(o: RpropOptions): Record<string, number> {
    return { stepSize: o.lr };
  }

  protected nativeOptions(o: RpropOptions): NativeOptions {
    return { etaMinus: o.etas[0], etaPlus: o.etas[1], stepSizeMin: o.stepSizes[0], stepSizeMax: o.stepSizes[1], maximize: o.maximize };
  }
}
