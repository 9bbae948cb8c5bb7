// src-ts/lr/index.ts — learning-rate schedulers: the LLM recipes' schedules and torch's set.
export { constantWithWarmup, cosineWithRestarts, inverseSqrt, MultiplierSchedule, polynomial, warmupCosine, warmupLinear, wsd } from "./llm.js";
export { LRScheduler, type SchedulableOptimizer, type SchedulerState } from "./scheduler.js";
export { ChainedScheduler, SequentialLR } from "./compose.js";
export { CyclicLR, OneCycleLR } from "./cyclic.js";
export { ReduceLROnPlateau } from "./plateau.js";
export {
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  MultiplicativeLR,
  MultiStepLR,
  PolynomialLR,
  StepLR,
} from "./torch.js";
