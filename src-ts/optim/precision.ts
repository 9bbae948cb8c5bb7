// src-ts/optim/precision.ts — 16-bit params and grads: the mixed-precision options, copies
// between dtypes, the gradient norm and in-place transforms over 16-bit grads, and the float32
// working copies through which optimizers without a 16-bit kernel path step 16-bit params.
//
// Every conversion is the addon's "cast" op (kernels/math/cast.cuh): widening is exact, rounding
// is to nearest-even or stochastic (kernels/math/half.cuh), so each backend gives the same bits.
import { fail } from "../errors.js";
import { native } from "../native.js";
import { isHalf, stateTensor, type Tensor } from "../tensor.js";
import { checkBool, checkNumber } from "../validate.js";
import type { UpdateItem } from "./types.js";

/** Construction options for 16-bit params (see CommonOptions). */
export interface Precision {
  masterWeights: boolean;
  stateDtype: "float32" | "param";
  stochasticRounding: boolean;
  seed: number;
}

export function parsePrecision(o: { masterWeights?: unknown; stateDtype?: unknown; stochasticRounding?: unknown; seed?: unknown }): Precision {
  const masterWeights = checkBool(o.masterWeights ?? false, "options.masterWeights");
  const stochasticRounding = checkBool(o.stochasticRounding ?? false, "options.stochasticRounding");
  const stateDtype = o.stateDtype ?? "float32";
  if (stateDtype !== "float32" && stateDtype !== "param") {
    fail("ERR_INVALID_ARGUMENT", `options.stateDtype: expected "float32" or "param", got ${JSON.stringify(stateDtype)}`);
  }
  const seed = checkNumber(o.seed ?? 0, "options.seed", { min: 0, max: 0xffffffff, integer: true });
  if (masterWeights && stochasticRounding) {
    fail("ERR_INVALID_ARGUMENT", "options.stochasticRounding: not with masterWeights (the master is exact; the 16-bit param is rounded from it to nearest-even)");
  }
  return { masterWeights, stateDtype, stochasticRounding, seed };
}

/** How a rounding into a 16-bit tensor is keyed when it is stochastic. */
export interface StochasticKey {
  seed: number;
  /** the tensor's id (its param's index in the optimizer) */
  id: number;
  /** the param's step count after this step */
  step: number;
}

/**
 * dst[i] <- scale * src[i] for each pair, widened on load and rounded on store (stochastically
 * where `keys` are given), in one native call.
 */
export function castInto(dsts: readonly Tensor[], srcs: readonly Tensor[], scale = 1, keys?: readonly StochasticKey[]): void {
  if (dsts.length === 0) return;
  native.optimizerStep(
    "cast",
    [dsts.map((t) => t.native), srcs.map((t) => t.native)],
    keys ? Float64Array.from(keys, (k) => k.step) : new Float64Array(dsts.length).fill(1),
    new Uint8Array(dsts.length),
    { gradScale: scale },
    undefined,
    keys ? { stochasticRounding: true, seed: keys[0]!.seed, tensorIds: Uint32Array.from(keys, (k) => k.id) } : undefined,
  );
}

/** The gradients' total norm (2 or Infinity); 16-bit ones are widened exactly as the kernel reads them. */
export function gradNormOf(grads: readonly Tensor[], normType: number): number {
  return grads.length ? native.gradNorm(grads.map((g) => g.native), normType) : 0;
}

/**
 * Multiplies every gradient by `value` ("scale"), or clamps it to [-value, value] ("clamp"), in
 * place; 16-bit ones are rounded to nearest-even once.
 */
export function transformGrads(grads: readonly Tensor[], kind: "scale" | "clamp", value: number): void {
  const full = grads.filter((g) => !isHalf(g.dtype));
  const half = grads.filter((g) => isHalf(g.dtype));
  if (full.length) native.transformTensors(full.map((g) => g.native), kind, value);
  if (half.length) {
    native.optimizerStep("transform16", [half.map((g) => g.native), null], new Float64Array(half.length).fill(1), new Uint8Array(half.length), { value, clamp: kind === "clamp" });
  }
}

/**
 * Float32 stand-ins for a batch's 16-bit params and grads, for optimizers whose kernels take
 * float32 (Adafactor, CAME, Shampoo, the 8-bit optimizers): the param's master when it has one,
 * else a widened copy; a widened copy of a 16-bit grad. `begin` fills the copies, `finish`
 * rounds the updated params back into the 16-bit ones (from the masters to nearest-even, else as
 * `precision` says). The copies are made up front (into `scratch`, freed with the step's), so a
 * failed allocation happens before any batch runs.
 */
export function workingItems(
  items: readonly UpdateItem[],
  precision: Precision,
  idOf: (p: Tensor) => number,
  scratch: Tensor[],
): { items: UpdateItem[]; begin: () => void; finish: () => void } {
  const work: UpdateItem[] = items.map((it) => {
    if (!isHalf(it.param.dtype) && !isHalf(it.grad.dtype)) return it;
    const master = it.state.tensors.master as Tensor | undefined;
    let param = it.param;
    if (isHalf(it.param.dtype)) {
      param = master ?? (stateTensor(it.param.device, it.param.shape) as Tensor);
      if (!master) scratch.push(param);
    }
    let grad = it.grad;
    if (isHalf(it.grad.dtype)) {
      grad = stateTensor(it.grad.device, it.grad.shape) as Tensor;
      scratch.push(grad);
    }
    return { ...it, param, grad };
  });
  const begin = (): void => {
    const dst: Tensor[] = [];
    const src: Tensor[] = [];
    work.forEach((w, i) => {
      const it = items[i]!;
      if (w.param !== it.param && w.param !== it.state.tensors.master) (dst.push(w.param), src.push(it.param));
      if (w.grad !== it.grad) (dst.push(w.grad), src.push(it.grad));
    });
    castInto(dst, src);
  };
  const finish = (): void => {
    const back = work.map((w, i) => [items[i]!, w] as const).filter(([it, w]) => w.param !== it.param);
    if (precision.stochasticRounding) {
      castInto(back.map(([it]) => it.param), back.map(([, w]) => w.param), 1, back.map(([it]) => ({ seed: precision.seed, id: idOf(it.param), step: it.state.step })));
    } else {
      castInto(back.map(([it]) => it.param), back.map(([, w]) => w.param));
    }
  };
  return { items: work, begin, finish };
}
