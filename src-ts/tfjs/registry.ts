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

export const OPTIMIZERS: Record<string, Make> = {
  Adam: wrap(Adam),
  AdamW: wrap(AdamW),
  SGD: wrap(SGD),
  RMSprop: wrap(RMSprop),
  Lion: wrap(Lion),
  RAdam: wrap(RAdam),
  NAdam: wrap(NAdam),
  Adamax: wrap(Adamax),
  Adagrad: wrap(Adagrad),
  AdaBound: wrap(AdaBound),
  Adam8bit: wrap(Adam8bit),
  AdamW8bit: wrap(AdamW8bit),
  Lion8bit: wrap(Lion8bit),
  Adafactor: wrap(Adafactor),
  Sophia: wrap(Sophia),
  CAME: wrap(CAME),
  Shampoo: wrap(Shampoo),
  Adadelta: wrap(Adadelta),
  Rprop: wrap(Rprop),
  ASGD: wrap(ASGD),
  LARS: wrap(LARS),
  AdEMAMix: wrap(AdEMAMix),
  LAMB: wrap(LAMB),
  // TensorFlow.js's own update rules (semantics.ts), behind the tf.train.* drop-ins of train.ts
  "tfjs.sgd": wrap(TfjsSGD),
  "tfjs.momentum": wrap(TfjsMomentum),
  "tfjs.rmsprop": wrap(TfjsRMSprop),
  "tfjs.adagrad": wrap(TfjsAdagrad),
  "tfjs.adadelta": wrap(TfjsAdadelta),
  "tfjs.adam": wrap(TfjsAdam),
  "tfjs.adamax": wrap(TfjsAdamax),
};

type Schedule = (optimizer: SchedulableOptimizer, options: never) => MultiplierSchedule;
export const SCHEDULES: Record<string, Schedule> = {
  warmupCosine: llm.warmupCosine as Schedule,
  warmupLinear: llm.warmupLinear as Schedule,
  constantWithWarmup: llm.constantWithWarmup as Schedule,
  inverseSqrt: llm.inverseSqrt as Schedule,
  cosineWithRestarts: llm.cosineWithRestarts as Schedule,
  polynomial: llm.polynomial as Schedule,
  wsd: llm.wsd as Schedule,
};
