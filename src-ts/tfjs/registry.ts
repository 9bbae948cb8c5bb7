// src-ts/tfjs/registry.ts — cuoptim's optimizers and LLM schedules by name, so an adapter's
// configuration is plain JSON (tfjs serializes optimizers as {className, config}).
import { Adadelta } from "../optim/adadelta.js";
import { Adafactor } from "../optim/adafactor.js";
import { AdaBound } from "../optim/adabound.js";
import { Adagrad } from "../optim/adagrad.js";
import { Adam, AdamW } from "../optim/adam.js";
import { Adam8bit, AdamW8bit, Lion8bit } from "../optim/adam8bit.js";
import { Adamax } from "../optim/adamax.js";
import { Lion } from "../optim/lion.js";
import { NAdam } from "../optim/nadam.js";
import type { Optimizer, ParamGroupInput } from "../optim/optimizer.js";
import { RAdam } from "../optim/radam.js";
import { RMSprop } from "../optim/rmsprop.js";
import { Rprop } from "../optim/rprop.js";
import { ASGD } from "../optim/asgd.js";
import { LARS } from "../optim/lars.js";
import { AdEMAMix } from "../optim/ademamix.js";
import { LAMB } from "../optim/lamb.js";
import { SGD } from "../optim/sgd.js";
import { Sophia } from "../optim/sophia.js";
import { CAME } from "../optim/came.js";
import { Shampoo } from "../optim/shampoo.js";
import { TfjsAdadelta, TfjsAdagrad, TfjsAdam, TfjsAdamax, TfjsMomentum, TfjsRMSprop, TfjsSGD } from "./semantics.js";
import * as llm from "../lr/llm.js";
import type { SchedulableOptimizer } from "../lr/scheduler.js";
import type { MultiplierSchedule } from "../lr/llm.js";

type Make = (groups: ParamGroupInput<object>[], options: object) => Optimizer<object>;
const wrap =
  <O extends object>(Ctor: new (p: ParamGroupInput<O>[], o: Partial<O>) => Optimizer<O>): Make =>
  (groups, options) =>
    new Ctor(groups as ParamGroupInput<O>[], options as Partial<O>) as unknown as Optimizer<object>;

/** The optimizer classes the adapter builds by name. */
const OPTIMIZER_CLASSES = {
  Adam,
  AdamW,
  SGD,
  RMSprop,
  Lion,
  RAdam,
  NAdam,
  Adamax,
  Adagrad,
  AdaBound,
  Adam8bit,
  AdamW8bit,
  Lion8bit,
  Adafactor,
  Sophia,
  CAME,
  Shampoo,
  Adadelta,
  Rprop,
  ASGD,
  LARS,
  AdEMAMix,
  LAMB,
  // TensorFlow.js's own update rules (semantics.ts), behind the tf.train.* drop-ins of train.ts
  "tfjs.sgd": TfjsSGD,
  "tfjs.momentum": TfjsMomentum,
  "tfjs.rmsprop": TfjsRMSprop,
  "tfjs.adagrad": TfjsAdagrad,
  "tfjs.adadelta": TfjsAdadelta,
  "tfjs.adam": TfjsAdam,
  "tfjs.adamax": TfjsAdamax,
} as const;

/** An optimizer name `CuoptimOptimizer` accepts ("AdamW", "Lion8bit", "tfjs.adam", ...). */
export type TfjsOptimizerName = keyof typeof OPTIMIZER_CLASSES;
/** The options each named optimizer's constructor takes (so a misspelled option fails `tsc`). */
export type TfjsOptimizerOptions = {
  [K in TfjsOptimizerName]: (typeof OPTIMIZER_CLASSES)[K] extends abstract new (params: never, options?: infer O) => unknown ? O : never;
};

export const OPTIMIZERS: Record<string, Make> = Object.fromEntries(
  Object.entries(OPTIMIZER_CLASSES).map(([name, Ctor]) => [name, wrap(Ctor as never)]),
);

const SCHEDULE_FUNCTIONS = {
  warmupCosine: llm.warmupCosine,
  warmupLinear: llm.warmupLinear,
  constantWithWarmup: llm.constantWithWarmup,
  inverseSqrt: llm.inverseSqrt,
  cosineWithRestarts: llm.cosineWithRestarts,
  polynomial: llm.polynomial,
  wsd: llm.wsd,
} as const;

/** A schedule name of cuoptim's lr namespace that `CuoptimOptimizer` accepts. */
export type TfjsScheduleName = keyof typeof SCHEDULE_FUNCTIONS;
/** The options each named schedule takes. */
export type TfjsScheduleOptions = { [K in TfjsScheduleName]: Parameters<(typeof SCHEDULE_FUNCTIONS)[K]>[1] };

type Schedule = (optimizer: SchedulableOptimizer, options: never) => MultiplierSchedule;
export const SCHEDULES: Record<string, Schedule> = SCHEDULE_FUNCTIONS as Record<string, Schedule>;
