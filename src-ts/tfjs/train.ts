// src-ts/tfjs/train.ts — drop-ins for tf.train.sgd / momentum / rmsprop / adagrad / adadelta /
// adam / adamax: the same signatures and defaults, and TensorFlow.js's own update rules
// (semantics.ts; the bits of tfjs's cpu backend, on every cuoptim backend), as CuoptimOptimizers.
// `cuoptimOptimizer({optimizer: "Adam", ...})` is the other entry point: torch's semantics.
import { CuoptimOptimizer, type CuoptimTfjsConfig } from "./optimizer.js";
import type { TfjsOptimizerName, TfjsOptimizerOptions } from "./registry.js";
import { TFJS_EPSILON } from "./semantics.js";

const eps = (epsilon: number | null | undefined) => epsilon ?? TFJS_EPSILON;
const make = <K extends TfjsOptimizerName>(optimizer: K, options: TfjsOptimizerOptions[K]) =>
  new CuoptimOptimizer({ optimizer, options } as CuoptimTfjsConfig);

/** Drop-ins for tf.train.sgd / momentum / rmsprop / adagrad / adadelta / adam / adamax: the same signatures, defaults and update rules (TensorFlow.js's bits), run by cuoptim. */
export const train = {
  /** tf.train.sgd(learningRate) */
  sgd: (learningRate: number): CuoptimOptimizer => make("tfjs.sgd", { lr: learningRate }),
  /** tf.train.momentum(learningRate, momentum, useNesterov = false) */
  momentum: (learningRate: number, momentum: number, useNesterov = false): CuoptimOptimizer =>
    make("tfjs.momentum", { lr: learningRate, momentum, useNesterov }),
  /** tf.train.rmsprop(learningRate, decay = 0.9, momentum = 0, epsilon = null, centered = false) */
  rmsprop: (learningRate: number, decay = 0.9, momentum = 0, epsilon: number | null = null, centered = false): CuoptimOptimizer =>
    make("tfjs.rmsprop", { lr: learningRate, decay, momentum, epsilon: eps(epsilon), centered }),
  /** tf.train.adagrad(learningRate, initialAccumulatorValue = 0.1) */
  adagrad: (learningRate: number, initialAccumulatorValue = 0.1): CuoptimOptimizer =>
    make("tfjs.adagrad", { lr: learningRate, initialAccumulatorValue }),
  /** tf.train.adadelta(learningRate = 0.001, rho = 0.95, epsilon = null) */
  adadelta: (learningRate = 0.001, rho = 0.95, epsilon: number | null = null): CuoptimOptimizer =>
    make("tfjs.adadelta", { lr: learningRate, rho, epsilon: eps(epsilon) }),
  /** tf.train.adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = null) */
  adam: (learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null): CuoptimOptimizer =>
    make("tfjs.adam", { lr: learningRate, beta1, beta2, epsilon: eps(epsilon) }),
  /** tf.train.adamax(learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon = null, decay = 0) */
  adamax: (learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null, decay = 0): CuoptimOptimizer =>
    make("tfjs.adamax", { lr: learningRate, beta1, beta2, epsilon: eps(epsilon), decay }),
};
