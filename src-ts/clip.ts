// src-ts/clip.ts — gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_).
//
// The norm is one device-side reduction over every gradient with a fixed reduction tree
// (kernels/cuda/grad_norm.cu), the same on every backend. To clip inside the optimizer's own
// pass instead, with no extra write, use `optimizer.step({ maxGradNorm })`.
import { fail } from "./errors.js";
import { clipCoefficient } from "./optim/optimizer.js";
import { gradNormOf, transformGrads } from "./optim/precision.js";
import { checkTensor, Tensor } from "./tensor.js";
import { checkBool, checkNumber, optionsObject } from "./validate.js";

function gradsOf(params: Iterable<Tensor>, name: string): Tensor[] {
  if (params instanceof Tensor) fail("ERR_INVALID_ARGUMENT", `${name}: expected an array (or iterable) of Tensors, got one Tensor (wrap it: [t])`);
  if (typeof (params as { [Symbol.iterator]?: unknown } | null)?.[Symbol.iterator] !== "function" || typeof params === "string") {
    fail("ERR_INVALID_ARGUMENT", `${name}: expected an array (or iterable) of Tensors`);
  }
  const grads: Tensor[] = [];
  let i = 0;
  for (const p of params) {
    checkTensor(p, `${name}[${i}]`);
    if (p.grad) grads.push(p.grad);
    i++;
  }
  return grads;
}

/** The total norm of the params' gradients (those that have one): 2 or Infinity. */
export function gradNorm(params: Iterable<Tensor>, options?: { normType?: number }): number {
  const { normType = 2 } = optionsObject(options);
  if (normType !== 2 && normType !== Infinity) fail("ERR_RANGE", `normType: expected 2 or Infinity, got ${String(normType)}`);
  const grads = gradsOf(params, "params");
  return gradNormOf(grads, normType);
}

/**
 * Scales the gradients so their total norm is at most maxNorm (torch's clip_grad_norm_:
 * coefficient min(1, maxNorm / (norm + 1e-6))) and returns the norm before clipping.
 */
export function clipGradNorm(
  params: Iterable<Tensor>,
  maxNorm: number,
  options?: { normType?: number; errorIfNonfinite?: boolean },
): number {
  const { normType = 2, errorIfNonfinite = false } = optionsObject(options);
  checkNumber(maxNorm, "maxNorm", { min: 0 });
  checkBool(errorIfNonfinite, "errorIfNonfinite");
  const list = [...params];
  const norm = gradNorm(list, { normType });
  if (!Number.isFinite(norm) && errorIfNonfinite) {
    fail("ERR_RANGE", `clipGradNorm: the total norm of the gradients is ${norm} (pass errorIfNonfinite: false to clip anyway)`);
  }
  const coef = clipCoefficient(maxNorm, norm);
  const grads = gradsOf(list, "params");
  if (coef !== 1 && grads.length) transformGrads(grads, "scale", coef);
  return norm;
}

/** Clamps every gradient element to [-clipValue, clipValue] (torch's clip_grad_value_). */
export function clipGradValue(params: Iterable<Tensor>, clipValue: number): void {
  checkNumber(clipValue, "clipValue", { min: 0 });
  const grads = gradsOf(params, "params");
  if (grads.length) transformGrads(grads, "clamp", clipValue);
}
