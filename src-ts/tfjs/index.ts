// src-ts/tfjs/index.ts — `cuoptim/tfjs`: cuoptim as a TensorFlow.js optimizer (peer dependency
// @tensorflow/tfjs). Registered for tfjs serialization on import.
import { CuoptimOptimizer, type CuoptimTfjsCommonConfig, type CuoptimTfjsConfig } from "./optimizer.js";

export { CuoptimOptimizer, type CuoptimTfjsCommonConfig, type CuoptimTfjsConfig };
export type { TfjsOptimizerName, TfjsOptimizerOptions, TfjsScheduleName, TfjsScheduleOptions } from "./registry.js";
export { train } from "./train.js";

/** `model.compile({ optimizer: cuoptimOptimizer({ optimizer: "AdamW", options: { lr: 3e-4 } }) })` */
export function cuoptimOptimizer(config: CuoptimTfjsConfig): CuoptimOptimizer {
  return new CuoptimOptimizer(config);
}
