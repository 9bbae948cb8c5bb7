// src-ts/optim/types.ts — the shapes the optimizer base class (optimizer.ts) and its subclasses
// share: param groups, per-param state and its spec, the items a step updates, step options and
// results, state dicts.
import type { DTypeName } from "../native.js";
import type { Tensor } from "../tensor.js";

/**
 * What a param group holds besides the optimizer's options: an optional `name`, and `initialLr`,
 * each group's lr when the first scheduler was built on it (torch's initial_lr), which every
 * scheduler takes its base lr from and which state dicts carry.
 */
export interface GroupExtras {
  name?: string;
  initialLr?: number;
}
/** One param group as a constructor or addParamGroup() takes it: its params and any options that differ from the optimizer's. */
export type ParamGroupInput<O> = { params: Tensor[] } & GroupExtras & Partial<O>;

/** Options every optimizer takes at construction (not per group). */
export interface CommonOptions {
  /**
   * Keep the optimizer state in paged memory (bitsandbytes' paged optimizers): on cuda, CUDA
   * managed memory that is prefetched to the device before each step and that the driver evicts
   * to the host under memory pressure (memoryStats reports it as `paged`); on cpu and cuda-sim
   * accepted and a no-op.
   */
  paged?: boolean;
  /**
   * For bfloat16 / float16 params (default false): keep a float32 copy of each param in the
   * optimizer state (`master`, 4 B/param, in the state dict); the update runs on the master and
   * the param is written from it rounded to nearest-even (apex's master weights). Every param
   * must then be 16-bit.
   */
  masterWeights?: boolean;
  /**
   * The dtype of the optimizer state of 16-bit params: "float32" (default; apex,
   * bitsandbytes) or "param": moments kept in the param's dtype, float32 arithmetic per element
   * and one rounding (nearest-even) per store, as torch's fused AdamW does for bf16 params.
   * Element-wise optimizers only.
   */
  stateDtype?: "float32" | "param";
  /**
   * For 16-bit params without master weights (default false): round each updated param up or
   * down with probability proportional to its distance (llm.c's AdamW), from a counter-based
   * hash of (seed, param index, step, element), so one seed gives the same bits on every
   * backend. Every param must then be 16-bit.
   */
  stochasticRounding?: boolean;
  /** The stochastic-rounding seed, a whole number in [0, 2^32) (default 0); in the state dict. */
  seed?: number;
  /**
   * Keep each param's step count and its step scalars (bias corrections, lr / (1 − β1^t)) in
   * device memory, computed by the device each step (torch's `capturable`), so that a step reads
   * no host value and captureStep() can record it as a CUDA graph (default false). Adam and AdamW
   * only, as in torch 1.13; not with stochasticRounding. The scalars are computed in double and
   * rounded to float32 once, as in the host-scalar mode: on cpu and cuda-sim the results are the
   * same bits; on cuda the device's pow may differ from the host's in the last bit of the double.
   */
  capturable?: boolean;
}
/** One param group as the optimizer keeps it: every option filled in (paramGroups[i]; writing an option changes it for the next step). */
export type ParamGroup<O> = O & { params: Tensor[] } & GroupExtras;
/** What an optimizer's constructor takes: a list of tensors (one group) or a list of param groups. */
export type ParamsInput<O> = Tensor[] | ParamGroupInput<O>[];

/** One state tensor: its dtype and shape for a given param (and group options). */
export interface StateField {
  dtype: DTypeName;
  shape: readonly number[];
  /** The value a new tensor is filled with (default 0; float32 only). */
  init?: number;
  /** Filled from the param's values (a master weight); a state dict may leave it out. */
  fromParam?: boolean;
}
export type StateSpec = Record<string, StateField>;

/**
 * Per-param state: the step count, the tensors its stateSpec names, and the host scalars its
 * scalarSpec names (e.g. NAdam's running product of momentum coefficients).
 */
export interface ParamState {
  step: number;
  tensors: Record<string, Tensor<DTypeName>>;
  scalars: Record<string, number>;
}

/** One param about to be updated. */
export interface UpdateItem {
  param: Tensor;
  grad: Tensor;
  /** The user's path to the param, `paramGroups[i].params[j]`, for messages. */
  where: string;
  state: ParamState;
  /** The param's state was created for this step (torch's "state not yet initialised"). */
  fresh: boolean;
  /** The temporaries its scratchSpec names, made for this step and freed after it. */
  scratch: Record<string, Tensor<DTypeName>>;
}

/** Options of one step(): clipping, loss-scale unscaling and the non-finite guard. */
export interface StepOptions {
  /** Multiplies every gradient as it is read (unscaling folded into the step). */
  gradScale?: number;
  /**
   * Clips the gradients' total norm to this (torch's clip_grad_norm_ over every param with a
   * grad), folded into the step: the scale is applied as the optimizer reads each gradient, the
   * gradients themselves are left as they are.
   */
  maxGradNorm?: number;
  /** The norm for maxGradNorm: 2 (default) or Infinity. */
  normType?: 2 | typeof Infinity;
  /**
   * Skip the whole step when a gradient holds NaN or Infinity, or is so large (a 2-norm, after
   * gradScale and clipping, of at least sqrt(FLT_MAX) ≈ 1.8e19) that its squares would overflow
   * float32 in the state: nothing changes (params, state, step counts) and the step reports
   * `applied: false`. On by default when maxGradNorm is set
   * (the norm finds non-finite values for free); otherwise it costs one reduction over the grads.
   */
  skipNonFinite?: boolean;
}

/** What one step() did. */
export interface StepResult {
  /** false when the step was skipped for a non-finite (or float32-overflowing) gradient */
  applied: boolean;
  /** the gradients' total norm (after gradScale), when it was computed */
  gradNorm: number | null;
  /**
   * How many params this step updated: those with a grad (0 when the step was skipped). A step
   * that finds no grad at all also warns once per optimizer (set `.grad` before step()).
   */
  updated: number;
}

/**
 * One step recorded by captureStep(). On cuda, replay() enqueues it as one CUDA graph: the step
 * counts and scalars advance on the device and every group's current lr is written before the
 * graph runs, so a scheduler may change lr between replays; nothing else may change (the same
 * params, grads and state, the same other options). On cpu and cuda-sim replay() runs step()
 * with the captured options (same preconditions, same bits).
 */
export interface CapturedStep {
  /** Runs the captured step again; throws ERR_INVALID_ARGUMENT (nothing run) when what it captured has changed. */
  replay(): StepResult;
  /** Releases the graph now (it is also released when collected); replay() then throws ERR_FREED. */
  free(): void;
}

/** What applyUpdate gets to know about the step beyond options and params. */
export interface StepContext {
  gradScale: number;
  /** Stochastic rounding of 16-bit params, when the optimizer rounds that way: the seed and each param's id. */
  stochastic?: { seed: number; idOf: (param: Tensor) => number };
  /** The temporaries stepScratchSpec names, shared by every batch of this step. */
  scratch: Record<string, Tensor<DTypeName>>;
  /** The optimizer is capturable (CommonOptions.capturable): prepared steps keep their scalars on the device. */
  capturable?: boolean;
}

/** An optimizer's state as torch's state_dict(): per-param state keyed by param index, and the param groups with their options (params as indices). */
export interface StateDict<O> {
  state: Record<number, { step: number } & Record<string, Float32Array | Uint8Array | number>>;
  paramGroups: (O & { params: number[] } & GroupExtras)[];
  /** The stochastic-rounding seed (optimizers made with stochasticRounding only). */
  seed?: number;
}
