// src-ts/optim/schedule_free.ts — Schedule-Free SGD and AdamW (Defazio, Yang, Mehta, Mishchenko,
// Khaled & Cutkosky 2024, "The Road Less Scheduled"), facebookresearch/schedule_free's
// SGDScheduleFree and AdamWScheduleFree: no lr schedule; an average x of the iterates z is what
// to evaluate, and gradients are taken at their interpolation y = (1 − β)·z + β·x.
//
// Per step k (from 0), per param:
//   lr_k = lr · min((k+1)/warmupSteps, 1)          (AdamW: · √(1 − β2^(k+1)))
//   lrMax = max(lrMax, lr_k) ;  w = (k+1)^r · lrMax^weightLrPower ;  weightSum += w ;  c = w / weightSum
//   (AdamW) v ← β2·v + (1 − β2)·g² ;  g ← g / (√v + ε)
//   g ← g + λ·y ;  y ← y + c·(z − y) ;  y ← y + lr_k·(β·(1 − c) − 1)·g ;  z ← z − lr_k·g
// The params hold y while training. Call eval() before evaluating or saving a checkpoint (the
// params become x) and train() before training again (back to y); a step in eval mode is refused.
// The state dict records the mode (`trainMode`). The reference keeps k, lrMax and weightSum per
// group; here they are per param (its step count and two host scalars), which is the same
// whenever every param of a group has a gradient at every step. The kernels are
// kernels/math/schedule_free.cuh; no lr scheduler is needed (one that changes lr still works:
// lrMax keeps the largest rate seen).
import { fail } from "../errors.js";
import { native, type ElementwiseOp } from "../native.js";
import { isHalf } from "../tensor.js";
import { checkBetas, checkBool, checkNumber } from "../validate.js";
import { ElementwiseOptimizer, type NativeOptions } from "./elementwise.js";
import type { CommonOptions, ParamsInput, StateDict, StepContext, StepOptions, StepResult, UpdateItem } from "./optimizer.js";
import { labelled, runElementwise } from "./run.js";

interface ScheduleFreeCommon {
  /** weight decay λ, applied at y (0) */
  weightDecay: number;
  /** linear lr warmup over this many steps (0: none) */
  warmupSteps: number;
  /** the average's polynomial weighting power r (0) */
  r: number;
  /** the average's weights are lrMax raised to this power (2) */
  weightLrPower: number;
}

/** Options of SGDScheduleFree (the schedulefree package's SGDScheduleFree). */
export interface SGDScheduleFreeOptions extends ScheduleFreeCommon {
  /** the step size (1) */
  lr: number;
  /** β, the interpolation between z and x, in (0, 1) (0.9) */
  momentum: number;
}

/** Options of AdamWScheduleFree (the schedulefree package's AdamWScheduleFree). */
export interface AdamWScheduleFreeOptions extends ScheduleFreeCommon {
  /** the step size (0.0025) */
  lr: number;
  /** [β, β2]: the interpolation between z and x, and the second moment's decay ([0.9, 0.999]) */
  betas: [number, number];
  /** ε in the denominator (1e-8) */
  eps: number;
}

/** A state dict of a Schedule-Free optimizer: also which point the params hold. */
export type ScheduleFreeStateDict<O> = StateDict<O> & { trainMode?: boolean };

abstract class ScheduleFree<O extends ScheduleFreeCommon & { lr: number }> extends ElementwiseOptimizer<O> {
  #trainMode = true;

  protected constructor(private readonly stepOp: ElementwiseOp, params: ParamsInput<O>, defaults: O, options: Partial<O> & CommonOptions) {
    super(stepOp, params, defaults, options);
  }

  /** β of a group: the interpolation between z and x. */
  protected abstract betaOf(o: O): number;
  /** lr_k for the step count t = k + 1, without lrMax (the native op forms the same). */
  protected abstract stepLr(o: O, t: number): number;

  /** Whether the params hold y (train mode) rather than x (eval mode). */
  get trainMode(): boolean {
    return this.#trainMode;
  }

  protected checkCommon(o: O, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
    checkNumber(o.warmupSteps, `${where}.warmupSteps`, { min: 0, integer: true });
    checkNumber(o.r, `${where}.r`, { min: 0 });
    checkNumber(o.weightLrPower, `${where}.weightLrPower`, { min: 0 });
  }

  protected override scalarSpec(): Record<string, number> {
    return { lrMax: -1, weightSum: 0 };
  }

  override step(options: StepOptions = {}): StepResult {
    if (!this.#trainMode) fail("ERR_INVALID_ARGUMENT", `step: ${this.constructor.name} is in eval mode (the params hold the averaged point x); call train() first`);
    return super.step(options);
  }

  /** Switches the params to the averaged point x, for evaluation and checkpoints (no-op in eval mode). */
  eval(): void {
    if (this.#trainMode) this.moveParams((beta) => 1 - 1 / beta);
    this.#trainMode = false;
  }

  /** Switches the params back to y, where gradients are taken (no-op in train mode). */
  train(): void {
    if (!this.#trainMode) this.moveParams((beta) => 1 - beta);
    this.#trainMode = true;
  }

  override stateDict(): ScheduleFreeStateDict<O> {
    return { ...super.stateDict(), trainMode: this.#trainMode };
  }

  /** A dict without `trainMode` is taken to be in train mode. */
  override loadStateDict(dict: ScheduleFreeStateDict<O>): void {
    if (typeof dict !== "object" || dict === null) return super.loadStateDict(dict);
    const { trainMode = true, ...rest } = dict;
    if (typeof trainMode !== "boolean") fail("ERR_STATE_DICT", `loadStateDict: trainMode: expected a boolean, got ${typeof trainMode}`);
    super.loadStateDict(rest);
    if (!this.checkingOnly) this.#trainMode = trainMode;
  }

  protected override applyUpdate(o: O, items: UpdateItem[], ctx: StepContext): void {
    // The averaging weights, in double as the reference computes them; committed after the op ran.
    const next = items.map((it) => {
      const t = it.state.step;
      const lrMax = Math.max(this.stepLr(o, t), it.state.scalars.lrMax!);
      const weight = t ** o.r * lrMax ** o.weightLrPower;
      const weightSum = it.state.scalars.weightSum! + weight;
      return { lrMax, weightSum, ckp1: weightSum === 0 ? 0 : weight / weightSum };
    });
    runElementwise(this.stepOp, this.nativeOptions(o), items, ctx, { hostValues: next.map((n) => n.ckp1) });
    items.forEach((it, i) => Object.assign(it.state.scalars, { lrMax: next[i]!.lrMax, weightSum: next[i]!.weightSum }));
  }

  /**
   * p ← p + w·(z − p) for every param with state, w from its group's β (on masters, when kept).
   * Every group is checked (live params, valid options) before any param moves.
   */
  private moveParams(weightOf: (beta: number) => number): void {
    const work = this.paramGroups.map((group, gi) => {
      this.checkOptions(group, `paramGroups[${gi}]`);
      const items = group.params.flatMap((p, j) => {
        const where = `paramGroups[${gi}].params[${j}]`;
        p.assertLive(where);
        return this.state.get(p)?.tensors.z ? [{ param: p, where } as unknown as UpdateItem] : [];
      });
      return { items, weight: weightOf(this.betaOf(group)) };
    });
    for (const { items, weight } of work) {
      if (items.length === 0) continue;
      const states = items.map((it) => this.state.get(it.param)!.tensors);
      const masters = states[0]!.master && isHalf(items[0]!.param.dtype) ? states.map((s) => s.master!.native) : null;
      labelled(items, () =>
        native.optimizerStep(
          "schedule_free_mode",
          [items.map((it) => it.param.native), null, states.map((s) => s.z!.native), ...(masters ? [masters] : [])],
          items.map(() => 1),
          items.map(() => false),
          { weight },
        ),
      );
    }
  }
}

const SGD_SF_DEFAULTS: SGDScheduleFreeOptions = { lr: 1, momentum: 0.9, weightDecay: 0, warmupSteps: 0, r: 0, weightLrPower: 2 };

/** Schedule-Free SGD (facebookresearch/schedule_free's SGDScheduleFree). */
export class SGDScheduleFree extends ScheduleFree<SGDScheduleFreeOptions> {
  constructor(params: ParamsInput<SGDScheduleFreeOptions>, options: Partial<SGDScheduleFreeOptions> & CommonOptions = {}) {
    super("sgd_schedule_free", params, SGD_SF_DEFAULTS, options);
  }

  protected checkOptions(o: SGDScheduleFreeOptions, where: string): void {
    this.checkCommon(o, where);
    checkNumber(o.momentum, `${where}.momentum`, { min: 0, minOpen: true, max: 1, maxOpen: true });
  }

  protected betaOf(o: SGDScheduleFreeOptions): number {
    return o.momentum;
  }

  protected stepLr(o: SGDScheduleFreeOptions, t: number): number {
    return o.lr * (t - 1 < o.warmupSteps ? t / o.warmupSteps : 1);
  }

  protected nativeOptions(o: SGDScheduleFreeOptions): NativeOptions {
    return { lr: o.lr, beta: o.momentum, warmupSteps: o.warmupSteps, weightDecay: o.weightDecay };
  }
}

const ADAMW_SF_DEFAULTS: AdamWScheduleFreeOptions = { lr: 0.0025, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, warmupSteps: 0, r: 0, weightLrPower: 2 };

/** Schedule-Free AdamW (facebookresearch/schedule_free's AdamWScheduleFree). */
export class AdamWScheduleFree extends ScheduleFree<AdamWScheduleFreeOptions> {
  constructor(params: ParamsInput<AdamWScheduleFreeOptions>, options: Partial<AdamWScheduleFreeOptions> & CommonOptions = {}) {
    super("adamw_schedule_free", params, ADAMW_SF_DEFAULTS, options);
  }

  protected checkOptions(o: AdamWScheduleFreeOptions, where: string): void {
    this.checkCommon(o, where);
    checkBetas(o.betas, `${where}.betas`, 2);
    checkNumber(o.betas[0], `${where}.betas[0]`, { min: 0, minOpen: true, max: 1, maxOpen: true });
    checkNumber(o.eps, `${where}.eps`, { min: 0 });
  }

  protected betaOf(o: AdamWScheduleFreeOptions): number {
    return o.betas[0];
  }

  protected stepLr(o: AdamWScheduleFreeOptions, t: number): number {
    return o.lr * (t - 1 < o.warmupSteps ? t / o.warmupSteps : 1) * Math.sqrt(1 - o.betas[1] ** t);
  }

  protected nativeOptions(o: AdamWScheduleFreeOptions): NativeOptions {
    return { lr: o.lr, beta: o.betas[0], beta2: o.betas[1], eps: o.eps, warmupSteps: o.warmupSteps, weightDecay: o.weightDecay };
  }
}
