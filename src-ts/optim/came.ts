// src-ts/optim/came.ts — CAME (Luo et al. 2023, "CAME: Confidence-guided Adaptive Memory
// Efficient Optimization"), as the authors' implementation (yangluo7/CAME) computes it, on
// Adafactor's factored kernels (kernels/math/adafactor.cuh, variant "came"):
//
//   q = g² + ε1;  R ← β2·R + (1 − β2)·mean_c(q), C likewise;  U = g / √(R_r/mean_r(R)) / √(C_c)
//   U ← U / max(1, RMS(U)/clipThreshold);  m ← β1·m + (1 − β1)·U
//   res = (U − m)² + ε2;  S ← β3·S + (1 − β3)·mean_c(res), T likewise
//   θ ← θ − γλ·θ;  θ ← θ − γ·m / √(S_r/mean_r(S)) / √(T_c)
// A param with two or more dims keeps R, C, S, T over its last two (O(rows + cols) each) plus m;
// vectors keep a full second moment v (U = g/√v) and m, and step by γ·m. Defaults are the
// reference's: betas (0.9, 0.999, 0.9999), eps (1e-30, 1e-16), clipThreshold 1, weightDecay 0;
// the reference has no default lr, 2e-4 here (its README's example).
import { native } from "../native.js";
import type { Tensor } from "../tensor.js";
import { checkBetas, checkNumber } from "../validate.js";
import { factoredScratch, workspaces } from "./adafactor.js";
import { Optimizer, type CommonOptions, type ParamsInput, type StateSpec, type StepContext, type UpdateItem } from "./optimizer.js";
import { labelled } from "./run.js";

/** Options of CAME (the authors' reference implementation). */
export interface CAMEOptions {
  /** the learning rate γ, >= 0. Default: 2e-4. */
  lr: number;
  /** [β1, β2, β3]: the first moment's, the factored second moment's and the confidence's decays. Default: [0.9, 0.999, 0.9999]. */
  betas: [number, number, number];
  /** [ε1, ε2]: added to the squared gradient and to the squared instability. Default: [1e-30, 1e-16]. */
  eps: [number, number];
  /** d, the update's RMS clipping threshold, > 0. Default: 1. */
  clipThreshold: number;
  /** decoupled weight decay λ, >= 0. Default: 0. */
  weightDecay: number;
}

const CAME_DEFAULTS: CAMEOptions = { lr: 2e-4, betas: [0.9, 0.999, 0.9999], eps: [1e-30, 1e-16], clipThreshold: 1, weightDecay: 0 };

/** CAME, confidence-guided adaptive memory-efficient optimization (Luo et al. 2023): Adafactor's factored memory with a confidence-weighted update. */
export class CAME extends Optimizer<CAMEOptions> {
  constructor(params: ParamsInput<CAMEOptions>, options: Partial<CAMEOptions> & CommonOptions = {}) {
    super(params, CAME_DEFAULTS, options);
  }

  protected checkOptions(o: CAMEOptions, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    checkBetas(o.betas, `${where}.betas`, 3, { min: 0, max: 1 });
    checkBetas(o.eps, `${where}.eps`, 2, { min: 0 });
    checkNumber(o.clipThreshold, `${where}.clipThreshold`, { min: 0, minOpen: true });
    checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
  }

  protected stateSpec(param: Tensor): StateSpec {
    const s = param.shape;
    const f = (shape: readonly number[]) => ({ dtype: "float32", shape }) as const;
    if (s.length < 2) return { expAvg: f(s), expAvgSq: f(s) };
    const lead = s.slice(0, -2);
    const [r, c] = [s[s.length - 2]!, s[s.length - 1]!];
    return { expAvg: f(s), expAvgSqRow: f([...lead, r]), expAvgSqCol: f([...lead, c]), expAvgResRow: f([...lead, r]), expAvgResCol: f([...lead, c]) };
  }

  protected override scratchSpec(param: Tensor): StateSpec {
    return factoredScratch(param);
  }

  protected applyUpdate(o: CAMEOptions, items: UpdateItem[], ctx: StepContext): void {
    const pick = (name: string) => items.map((it) => it.state.tensors[name]?.native ?? null);
    labelled(items, () => native.adafactorStep(
      items.map((it) => it.param.native),
      items.map((it) => it.grad.native),
      pick("expAvgSqRow"),
      pick("expAvgSqCol"),
      pick("expAvgSq"),
      items.map((it) => it.state.tensors.expAvg!.native),
      items.map((it) => it.state.step),
      {
        variant: "came", lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], beta3: o.betas[2], eps1: o.eps[0], epsRes: o.eps[1],
        clipThreshold: o.clipThreshold, weightDecay: o.weightDecay, gradScale: ctx.gradScale,
      },
      pick("expAvgResRow"),
      pick("expAvgResCol"),
      workspaces(items),
    ));
  }
}
