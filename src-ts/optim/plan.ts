// src-ts/optim/plan.ts — what a step checks before it touches anything (optimizer.ts): its
// options, every group's options, params and grads (batched by equal options), and the gradient
// guard (non-finite or float32-overflowing gradients skip the step; clipping folds into the
// gradient scale).
import { fail } from "../errors.js";
import { gradNormOf } from "./precision.js";
import { checkGradFor, type Tensor } from "../tensor.js";
import { checkBool, checkNumber } from "../validate.js";
import { groupOptions } from "./prepared.js";
import type { ParamGroup, StepOptions } from "./types.js";

const STEP_OPTIONS = new Set(["gradScale", "maxGradNorm", "normType", "skipNonFinite"]);

/** sqrt(FLT_MAX): a float32 whose square is still finite is below this. */
const SQRT_FLOAT32_MAX = Math.sqrt(3.4028234663852886e38);

/**
 * torch's clip coefficient, in float32 as torch computes it on a float32 norm:
 * min(1, maxNorm / (norm + 1e-6)).
 */
export function clipCoefficient(maxNorm: number, norm: number): number {
  const f = Math.fround;
  const coef = f(f(maxNorm) / f(f(norm) + f(1e-6)));
  return coef < 1 ? coef : 1;
}

export interface ParsedStepOptions {
  gradScale: number;
  maxNorm: number | undefined;
  normType: number;
  guard: boolean;
}

export function parseStepOptions(options: StepOptions): ParsedStepOptions {
  if (typeof options !== "object" || options === null) fail("ERR_INVALID_ARGUMENT", "step: expected an options object");
  for (const k of Object.keys(options)) {
    if (!STEP_OPTIONS.has(k)) fail("ERR_INVALID_ARGUMENT", `step: options.${k}: unknown option (known: ${[...STEP_OPTIONS].join(", ")})`);
  }
  // A negative scale would flip the update's direction.
  const gradScale = checkNumber(options.gradScale ?? 1, "gradScale", { min: 0 });
  const maxNorm = options.maxGradNorm === undefined ? undefined : checkNumber(options.maxGradNorm, "maxGradNorm", { min: 0 });
  const normType = options.normType ?? 2;
  if (normType !== 2 && normType !== Infinity) fail("ERR_RANGE", `normType: expected 2 or Infinity, got ${String(normType)}`);
  const guard = options.skipNonFinite === undefined ? maxNorm !== undefined : checkBool(options.skipNonFinite, "skipNonFinite");
  return { gradScale, maxNorm, normType, guard };
}

export interface PlannedItem {
  param: Tensor;
  grad: Tensor;
  where: string;
}
export interface StepPlan<O> {
  key: string;
  options: O;
  items: PlannedItem[];
  /** the param groups batched here (their indices) */
  groups: number[];
}

/** Validates the whole step and batches groups with equal options (no state is created yet). */
export function planStep<O extends object>(groups: readonly ParamGroup<O>[], checkOptions: (o: O, where: string) => void): StepPlan<O>[] {
  const plans: StepPlan<O>[] = [];
  const seen = new Map<Tensor, string>();
  groups.forEach((group, gi) => {
    const { params } = group;
    const options = groupOptions(group);
    checkOptions(options, `paramGroups[${gi}]`);
    const items: PlannedItem[] = [];
    params.forEach((p, j) => {
      const where = `paramGroups[${gi}].params[${j}]`;
      p.assertLive(where);
      const prior = seen.get(p);
      if (prior) fail("ERR_INVALID_ARGUMENT", `${where}: this tensor is also ${prior}; a param may appear only once (it would be updated twice)`);
      seen.set(p, where);
      if (p.grad === null) return;
      checkGradFor(p, p.grad, `paramGroups[${gi}].params[${j}].grad`);
      items.push({ param: p, grad: p.grad, where });
    });
    const key = JSON.stringify(options);
    const same = plans.find((pl) => pl.key === key);
    if (same) {
      same.items.push(...items);
      same.groups.push(gi);
    } else {
      plans.push({ key, options, items, groups: [gi] });
    }
  });
  // A grad is read while params and state are written: it may be neither a param nor another
  // param's grad (the kernels refuse such aliasing within a batch; this refuses it across
  // batches too, before any batch runs).
  const gradOf = new Map<Tensor, string>();
  for (const pl of plans) {
    for (const it of pl.items) {
      const param = seen.get(it.grad);
      if (param) fail("ERR_INVALID_ARGUMENT", `${it.where}.grad: this tensor is also the param ${param}; a grad must be a tensor of its own`);
      const other = gradOf.get(it.grad);
      if (other) fail("ERR_INVALID_ARGUMENT", `${it.where}.grad: this tensor is also the grad of ${other}; each param needs a grad of its own`);
      gradOf.set(it.grad, it.where);
    }
  }
  return plans.filter((pl) => pl.items.length > 0);
}

/**
 * The gradients' norm when clipping or the guard needs it, whether the step is to be skipped,
 * and the gradient scale the kernels apply (the clip folded in). `normOf` computes the norm of
 * the plans' grads (a sharded optimizer's combines every rank's part).
 */
export function guardStep<O>(
  plans: readonly StepPlan<O>[],
  o: ParsedStepOptions,
  normOf: (grads: readonly Tensor[], normType: number) => number = gradNormOf,
): { skip: boolean; gradNorm: number | null; gradScale: number } {
  let { gradScale } = o;
  if (o.maxNorm === undefined && !o.guard) return { skip: false, gradNorm: null, gradScale };
  const grads = plans.flatMap((p) => p.items.map((it) => it.grad));
  const gradNorm = grads.length ? normOf(grads, o.normType) * Math.abs(gradScale) : 0;
  if (o.guard && !Number.isFinite(gradNorm)) return { skip: true, gradNorm, gradScale };
  const coef = o.maxNorm === undefined ? 1 : clipCoefficient(o.maxNorm, gradNorm);
  if (o.maxNorm !== undefined) gradScale = Math.fround(gradScale * coef);
  // Finite but huge gradients overflow float32 in the state: a square above FLT_MAX (Adam's
  // second moments, 8-bit absmax, Adafactor's and CAME's row and column sums) is Infinity, and
  // the next step makes the params NaN. Every such sum of squares is at most ‖g‖₂², so a guarded
  // step whose (clipped) 2-norm is at least sqrt(FLT_MAX) is skipped instead. With normType
  // Infinity, √numel · max|g| bounds the 2-norm.
  if (o.guard) {
    const norm2Bound = (o.normType === Infinity ? gradNorm * Math.sqrt(grads.reduce((n, g) => n + g.numel, 0)) : gradNorm) * coef;
    if (!(norm2Bound < SQRT_FLOAT32_MAX)) return { skip: true, gradNorm, gradScale };
  }
  return { skip: false, gradNorm, gradScale };
}
