// src-ts/tfjs/semantics.ts — cuoptim optimizers with TensorFlow.js's update rules, defaults and
// float32 arithmetic (tfjs-core 4.x, kernels/math/tfjs.cuh), for the tf.train.* drop-ins of
// train.ts. Their state is named as tfjs names it; `lr` is tfjs's learningRate (so schedules
// drive it). tfjs's epsilon default is its backend's epsilon(), 1e-7 on float32 backends.
//
// tfjs keeps one running power of each beta per optimizer, as a float32 tensor multiplied by the
// beta after every step; TfjsAdam and TfjsAdamax compute the same float32 values from the step
// count, so every param of a batch must be at the same step (as when every variable takes part
// from the first step; tfjs's own optimizer gives a variable that joins late the optimizer's
// power, not its own).
import { fail } from "../errors.js";
import { ElementwiseOptimizer, type NativeOptions } from "../optim/elementwise.js";
import type { CommonOptions, ParamsInput, StepContext, UpdateItem } from "../optim/optimizer.js";
import { checkBool, checkNumber } from "../validate.js";
import { runElementwise } from "../optim/run.js";

const f32 = Math.fround;
/** tfjs's ENGINE.backend.epsilon() on float32 backends. */
export const TFJS_EPSILON = 1e-7;

function checkLr(lr: number, where: string): void {
  checkNumber(lr, `${where}.lr`, { min: 0 });
}

/** f32(β)ᵗ as tfjs's accumulated power reaches it: f32(β), then one float32 product per step. */
class BetaPower {
  readonly #values: number[];
  constructor(beta: number) {
    this.#values = [1, f32(beta)];
  }
  at(t: number): number {
    const v = this.#values;
    while (v.length <= t) v.push(f32(v[v.length - 1]! * v[1]!));
    return v[t]!;
  }
}

/** The step every item of a batch is at (refused when they differ). */
function commonStep(items: readonly UpdateItem[], name: string): number {
  const t = items[0]!.state.step;
  const other = items.find((it) => it.state.step !== t);
  if (other) fail("ERR_INVALID_ARGUMENT", `${other.where}: ${name} keeps one beta power per optimizer, as tfjs does: every param must step from the first step (this one is at step ${other.state.step}, others at ${t})`);
  return t;
}

export interface TfjsSGDOptions {
  lr: number;
}
/** tf.train.sgd(learningRate): p ← p − lr·g. */
export class TfjsSGD extends ElementwiseOptimizer<TfjsSGDOptions> {
  constructor(params: ParamsInput<TfjsSGDOptions>, options: Partial<TfjsSGDOptions> & CommonOptions = {}) {
    super("tfjs_momentum", params, { lr: 0.01 }, options);
  }
  protected checkOptions(o: TfjsSGDOptions, where: string): void {
    checkLr(o.lr, where);
  }
  protected nativeOptions(o: TfjsSGDOptions): NativeOptions {
    return { lr: o.lr, momentum: 0, useMomentum: false, nesterov: false };
  }
}

export interface TfjsMomentumOptions {
  lr: number;
  momentum: number;
  useNesterov: boolean;
}
/** tf.train.momentum(learningRate, momentum, useNesterov = false). */
export class TfjsMomentum extends ElementwiseOptimizer<TfjsMomentumOptions> {
  constructor(params: ParamsInput<TfjsMomentumOptions>, options: Partial<TfjsMomentumOptions> & CommonOptions = {}) {
    super("tfjs_momentum", params, { lr: 0.01, momentum: 0.9, useNesterov: false }, options);
  }
  protected checkOptions(o: TfjsMomentumOptions, where: string): void {
    checkLr(o.lr, where);
    checkNumber(o.momentum, `${where}.momentum`, { min: 0 });
    checkBool(o.useNesterov, `${where}.useNesterov`);
  }
  protected nativeOptions(o: TfjsMomentumOptions): NativeOptions {
    return { lr: o.lr, momentum: o.momentum, useMomentum: true, nesterov: o.useNesterov };
  }
}

export interface TfjsRMSpropOptions {
  lr: number;
  decay: number;
  momentum: number;
  epsilon: number;
  centered: boolean;
}
/** tf.train.rmsprop(learningRate, decay = 0.9, momentum = 0, epsilon, centered = false): eps inside the root, lr inside the moment. */
export class TfjsRMSprop extends ElementwiseOptimizer<TfjsRMSpropOptions> {
  constructor(params: ParamsInput<TfjsRMSpropOptions>, options: Partial<TfjsRMSpropOptions> & CommonOptions = {}) {
    super("tfjs_rmsprop", params, { lr: 0.001, decay: 0.9, momentum: 0, epsilon: TFJS_EPSILON, centered: false }, options);
  }
  protected checkOptions(o: TfjsRMSpropOptions, where: string): void {
    checkLr(o.lr, where);
    checkNumber(o.decay, `${where}.decay`, { min: 0, max: 1 });
    checkNumber(o.momentum, `${where}.momentum`, { min: 0 });
    checkNumber(o.epsilon, `${where}.epsilon`, { min: 0 });
    checkBool(o.centered, `${where}.centered`);
  }
  protected nativeOptions(o: TfjsRMSpropOptions): NativeOptions {
    return { lr: o.lr, decay: o.decay, momentum: o.momentum, eps: o.epsilon, centered: o.centered };
  }
}

export interface TfjsAdagradOptions {
  lr: number;
  initialAccumulatorValue: number;
}
/** tf.train.adagrad(learningRate, initialAccumulatorValue = 0.1): eps 1e-7 inside the root. */
export class TfjsAdagrad extends ElementwiseOptimizer<TfjsAdagradOptions> {
  constructor(params: ParamsInput<TfjsAdagradOptions>, options: Partial<TfjsAdagradOptions> & CommonOptions = {}) {
    super("tfjs_adagrad", params, { lr: 0.01, initialAccumulatorValue: 0.1 }, options);
  }
  protected checkOptions(o: TfjsAdagradOptions, where: string): void {
    checkLr(o.lr, where);
    checkNumber(o.initialAccumulatorValue, `${where}.initialAccumulatorValue`, { min: 0 });
  }
  protected override stateInit(o: TfjsAdagradOptions): Record<string, number> {
    return { accumulator: f32(o.initialAccumulatorValue) };
  }
  protected nativeOptions(o: TfjsAdagradOptions): NativeOptions {
    return { lr: o.lr, eps: TFJS_EPSILON };
  }
}

export interface TfjsAdadeltaOptions {
  lr: number;
  rho: number;
  epsilon: number;
}
/** tf.train.adadelta(learningRate = 0.001, rho = 0.95, epsilon). */
export class TfjsAdadelta extends ElementwiseOptimizer<TfjsAdadeltaOptions> {
  constructor(params: ParamsInput<TfjsAdadeltaOptions>, options: Partial<TfjsAdadeltaOptions> & CommonOptions = {}) {
    super("tfjs_adadelta", params, { lr: 0.001, rho: 0.95, epsilon: TFJS_EPSILON }, options);
  }
  protected checkOptions(o: TfjsAdadeltaOptions, where: string): void {
    checkLr(o.lr, where);
    checkNumber(o.rho, `${where}.rho`, { min: 0, max: 1 });
    checkNumber(o.epsilon, `${where}.epsilon`, { min: 0 });
  }
  protected nativeOptions(o: TfjsAdadeltaOptions): NativeOptions {
    return { lr: o.lr, rho: o.rho, eps: o.epsilon };
  }
}

export interface TfjsAdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}
/** tf.train.adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon): eps 1e-7, tfjs's bias correction. */
export class TfjsAdam extends ElementwiseOptimizer<TfjsAdamOptions> {
  readonly #powers = new Map<number, BetaPower>();
  constructor(params: ParamsInput<TfjsAdamOptions>, options: Partial<TfjsAdamOptions> & CommonOptions = {}) {
    super("tfjs_adam", params, { lr: 0.001, beta1: 0.9, beta2: 0.999, epsilon: TFJS_EPSILON }, options);
  }
  protected checkOptions(o: TfjsAdamOptions, where: string): void {
    checkLr(o.lr, where);
    checkNumber(o.beta1, `${where}.beta1`, { min: 0, max: 1, maxOpen: true });
    checkNumber(o.beta2, `${where}.beta2`, { min: 0, max: 1, maxOpen: true });
    checkNumber(o.epsilon, `${where}.epsilon`, { min: 0 });
  }
  protected nativeOptions(o: TfjsAdamOptions, t = 1): NativeOptions {
    const one = (beta: number) => f32(1 - power(this.#powers, beta).at(t));
    return { lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.epsilon, oneMinusAccBeta1: one(o.beta1), oneMinusAccBeta2: one(o.beta2) };
  }
  protected override applyUpdate(o: TfjsAdamOptions, items: UpdateItem[], ctx: StepContext): void {
    runElementwise("tfjs_adam", this.nativeOptions(o, commonStep(items, "TfjsAdam")), items, ctx);
  }
}

export interface TfjsAdamaxOptions {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  decay: number;
}
/** tf.train.adamax(learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon, decay = 0): lr / (1 + iteration·decay). */
export class TfjsAdamax extends ElementwiseOptimizer<TfjsAdamaxOptions> {
  readonly #powers = new Map<number, BetaPower>();
  constructor(params: ParamsInput<TfjsAdamaxOptions>, options: Partial<TfjsAdamaxOptions> & CommonOptions = {}) {
    super("tfjs_adamax", params, { lr: 0.002, beta1: 0.9, beta2: 0.999, epsilon: TFJS_EPSILON, decay: 0 }, options);
  }
  protected checkOptions(o: TfjsAdamaxOptions, where: string): void {
    checkLr(o.lr, where);
    checkNumber(o.beta1, `${where}.beta1`, { min: 0, max: 1, maxOpen: true });
    checkNumber(o.beta2, `${where}.beta2`, { min: 0, max: 1 });
    checkNumber(o.epsilon, `${where}.epsilon`, { min: 0 });
    checkNumber(o.decay, `${where}.decay`, { min: 0 });
  }
  // tfjs: lr = -learningRate / (iteration·decay + 1) with iteration = t − 1, then lr / (1 − β1ᵗ),
  // each a float32 tensor op.
  protected nativeOptions(o: TfjsAdamaxOptions, t = 1): NativeOptions {
    const lr = f32(f32(-o.lr) / f32(f32(f32(t - 1) * f32(o.decay)) + 1));
    const stepSize = f32(lr / f32(1 - power(this.#powers, o.beta1).at(t)));
    return { beta1: o.beta1, beta2: o.beta2, eps: o.epsilon, stepSize };
  }
  protected override applyUpdate(o: TfjsAdamaxOptions, items: UpdateItem[], ctx: StepContext): void {
    runElementwise("tfjs_adamax", this.nativeOptions(o, commonStep(items, "TfjsAdamax")), items, ctx);
  }
}

function power(cache: Map<number, BetaPower>, beta: number): BetaPower {
  let p = cache.get(beta);
  if (!p) cache.set(beta, (p = new BetaPower(beta)));
  return p;
}
