// src-ts/optim/adafactor.ts — Adafactor (Shazeer & Stern 2018, "Adafactor: Adaptive Learning
// Rates with Sublinear Memory Cost"): the second moment of a matrix kept as row and column
// statistics, O(rows + cols) memory instead of O(rows * cols).
//
// Two variants, each with its reference's options, defaults and order of operations
// (kernels/math/adafactor.cuh):
//   variant "torch" (default) — torch.optim.Adafactor (torch >= 2.5): lr 1e-2 caps the relative
//     step, beta2Decay -0.8, eps [null -> float32 eps, 1e-3], d 1 (update clipping),
//     weightDecay 0 (decoupled, scaled by lr), maximize.
//   variant "transformers" — transformers.optimization.Adafactor: lr null (relative steps),
//     eps [1e-30, 1e-3], clipThreshold 1, decayRate -0.8, beta1 null (no first moment),
//     weightDecay 0, scaleParameter true, relativeStep true, warmupInit false.
// Params with two or more dims are factored over their last two; others keep a full second
// moment. State: torch's rowVar [..., R, 1] / colVar [..., 1, C] or variance; transformers'
// expAvgSqRow [..., R] / expAvgSqCol [..., C] or expAvgSq, and expAvg when beta1 is set.
import { fail } from "../errors.js";
import { native, type NativeTensor } from "../native.js";
import type { Tensor } from "../tensor.js";
import { checkBool, checkNumber, checkOneOf, optionsObject } from "../validate.js";
import { Optimizer, type CommonOptions, type ParamsInput, type StateSpec, type StepContext, type UpdateItem } from "./optimizer.js";
import { labelled } from "./run.js";

/** Options of Adafactor's "torch" variant (torch.optim.Adafactor). */
export interface AdafactorTorchOptions {
  /** "torch": torch.optim.Adafactor's semantics (the default variant). */
  variant: "torch";
  /** the learning rate, which caps the relative step size, >= 0. Default: 1e-2. */
  lr: number;
  /** β2_t = 1 − t^beta2Decay, <= 0. Default: -0.8. */
  beta2Decay: number;
  /** [ε1, ε2]: ε1 added to the squared gradient (null: float32's epsilon), ε2 floors the param's RMS. Default: [null, 1e-3]. */
  eps: [number | null, number];
  /** the update's RMS clipping threshold, >= 1. Default: 1. */
  d: number;
  /** decoupled weight decay λ, scaled by lr, >= 0. Default: 0. */
  weightDecay: number;
  /** ascend the objective instead of descending it (torch's maximize). Default: false. */
  maximize: boolean;
}

/** Options of Adafactor's "transformers" variant (transformers.optimization.Adafactor). */
export interface AdafactorTransformersOptions {
  /** "transformers": transformers.optimization.Adafactor's semantics (the default variant is "torch"). */
  variant: "transformers";
  /** an external learning rate (needs relativeStep: false), or null for relative steps (needs relativeStep: true). Default: null. */
  lr: number | null;
  /** [ε1, ε2]: ε1 added to the squared gradient, ε2 floors the param's RMS. Default: [1e-30, 1e-3]. */
  eps: [number, number];
  /** the update's RMS clipping threshold, > 0. Default: 1. */
  clipThreshold: number;
  /** β2_t = 1 − t^decayRate, <= 0. Default: -0.8. */
  decayRate: number;
  /** the first moment's decay, or null to keep none. Default: null. */
  beta1: number | null;
  /** decoupled weight decay λ, scaled by the step size, >= 0. Default: 0. */
  weightDecay: number;
  /** scale the step by the param's RMS. Default: true. */
  scaleParameter: boolean;
  /** a time-dependent relative step size (ignores lr). Default: true. */
  relativeStep: boolean;
  /** warm the relative step up from 1e-6·t (needs relativeStep). Default: false. */
  warmupInit: boolean;
}

/** Options of Adafactor: one variant's options (variant "torch" by default). */
export type AdafactorOptions = AdafactorTorchOptions | AdafactorTransformersOptions;

const TORCH_DEFAULTS: AdafactorTorchOptions = { variant: "torch", lr: 1e-2, beta2Decay: -0.8, eps: [null, 1e-3], d: 1, weightDecay: 0, maximize: false };
const TRANSFORMERS_DEFAULTS: AdafactorTransformersOptions = {
  variant: "transformers",
  lr: null,
  eps: [1e-30, 1e-3],
  clipThreshold: 1,
  decayRate: -0.8,
  beta1: null,
  weightDecay: 0,
  scaleParameter: true,
  relativeStep: true,
  warmupInit: false,
};
const FLOAT32_EPS = 2 ** -23;

type AdafactorInput = (Partial<AdafactorTorchOptions> | Partial<AdafactorTransformersOptions>) & CommonOptions;

/**
 * The step's device scratch for one Adafactor or CAME param (cuda and cuda-sim; the cpu backend
 * needs none): made with the step's state, so no batch allocates once the step has begun.
 */
export function factoredScratch(param: Tensor): StateSpec {
  return param.device === "cpu" ? {} : { workspace: { dtype: "uint8", shape: [native.adafactorWorkspaceBytes(param.shape)] } };
}

export function workspaces(items: readonly UpdateItem[]): (NativeTensor | null)[] {
  return items.map((it) => it.scratch.workspace?.native ?? null);
}

/** Adafactor (Shazeer & Stern 2018): the second moment of a matrix as row and column statistics, O(rows + cols) memory. */
export class Adafactor extends Optimizer<AdafactorOptions> {
  /** The variant comes from options.variant, else from the first param group's, else "torch". */
  constructor(params: ParamsInput<AdafactorOptions>, options: AdafactorInput = {}) {
    optionsObject(options);
    const first = Array.isArray(params) ? (params[0] as { variant?: unknown } | undefined) : undefined;
    const variant = (options as { variant?: unknown }).variant ?? first?.variant ?? "torch";
    checkOneOf(variant, "options.variant", ["torch", "transformers"] as const);
    super(params, (variant === "torch" ? TORCH_DEFAULTS : TRANSFORMERS_DEFAULTS) as AdafactorOptions, options as Partial<AdafactorOptions>);
  }

  protected checkOptions(o: AdafactorOptions, where: string): void {
    checkOneOf(o.variant, `${where}.variant`, [this.defaults?.variant ?? o.variant]);
    if (!Array.isArray(o.eps) || o.eps.length !== 2) fail("ERR_INVALID_ARGUMENT", `${where}.eps: expected [eps1, eps2]`);
    checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
    if (o.variant === "torch") {
      checkNumber(o.lr, `${where}.lr`, { min: 0 });
      checkNumber(o.beta2Decay, `${where}.beta2Decay`, { max: 0 });
      if (o.eps[0] !== null) checkNumber(o.eps[0], `${where}.eps[0]`, { min: 0 });
      checkNumber(o.eps[1], `${where}.eps[1]`, { min: 0 });
      checkNumber(o.d, `${where}.d`, { min: 1 });
      checkBool(o.maximize, `${where}.maximize`);
      return;
    }
    if (o.lr !== null) checkNumber(o.lr, `${where}.lr`, { min: 0 });
    checkNumber(o.eps[0], `${where}.eps[0]`, { min: 0 });
    checkNumber(o.eps[1], `${where}.eps[1]`, { min: 0 });
    checkNumber(o.clipThreshold, `${where}.clipThreshold`, { min: 0, minOpen: true });
    checkNumber(o.decayRate, `${where}.decayRate`, { max: 0 });
    if (o.beta1 !== null) checkNumber(o.beta1, `${where}.beta1`, { min: 0, max: 1, maxOpen: true });
    checkBool(o.scaleParameter, `${where}.scaleParameter`);
    checkBool(o.relativeStep, `${where}.relativeStep`);
    checkBool(o.warmupInit, `${where}.warmupInit`);
    // transformers' own rules
    if (o.lr !== null && o.relativeStep) fail("ERR_INVALID_ARGUMENT", `${where}.lr: cannot combine a manual lr with relativeStep: true`);
    if (o.warmupInit && !o.relativeStep) fail("ERR_INVALID_ARGUMENT", `${where}.warmupInit: requires relativeStep: true`);
    if (o.lr === null && !o.relativeStep) fail("ERR_INVALID_ARGUMENT", `${where}.lr: required when relativeStep is false`);
  }

  protected stateSpec(param: Tensor, o: AdafactorOptions): StateSpec {
    const s = param.shape;
    const spec: StateSpec = {};
    const f = (shape: readonly number[]) => ({ dtype: "float32", shape }) as const;
    if (s.length >= 2) {
      const lead = s.slice(0, -2);
      const [r, c] = [s[s.length - 2]!, s[s.length - 1]!];
      if (o.variant === "torch") {
        spec.rowVar = f([...lead, r, 1]);
        spec.colVar = f([...lead, 1, c]);
      } else {
        spec.expAvgSqRow = f([...lead, r]);
        spec.expAvgSqCol = f([...lead, c]);
      }
    } else {
      spec[o.variant === "torch" ? "variance" : "expAvgSq"] = f(s);
    }
    if (o.variant === "transformers" && o.beta1 !== null) spec.expAvg = f(s);
    return spec;
  }

  protected override scratchSpec(param: Tensor): StateSpec {
    return factoredScratch(param);
  }

  protected applyUpdate(o: AdafactorOptions, items: UpdateItem[], ctx: StepContext): void {
    const torch = o.variant === "torch";
    const pick = (name: string) => items.map((it) => it.state.tensors[name]?.native ?? null);
    labelled(items, () => native.adafactorStep(
      items.map((it) => it.param.native),
      items.map((it) => it.grad.native),
      pick(torch ? "rowVar" : "expAvgSqRow"),
      pick(torch ? "colVar" : "expAvgSqCol"),
      pick(torch ? "variance" : "expAvgSq"),
      !torch && o.beta1 !== null ? items.map((it) => it.state.tensors.expAvg!.native) : null,
      items.map((it) => it.state.step),
      torch
        ? {
            variant: "torch", lr: o.lr, decay: o.beta2Decay, eps1: o.eps[0] ?? FLOAT32_EPS, eps2: o.eps[1], d: o.d,
            weightDecay: o.weightDecay, maximize: o.maximize, beta1: null, scaleParameter: true, relativeStep: false,
            warmupInit: false, gradScale: ctx.gradScale,
          }
        : {
            variant: "transformers", lr: o.lr ?? 0, decay: o.decayRate, eps1: o.eps[0], eps2: o.eps[1], d: o.clipThreshold,
            weightDecay: o.weightDecay, maximize: false, beta1: o.beta1, scaleParameter: o.scaleParameter,
            relativeStep: o.relativeStep, warmupInit: o.warmupInit, gradScale: ctx.gradScale,
          },
      undefined,
      undefined,
      workspaces(items),
    ));
  }
}
