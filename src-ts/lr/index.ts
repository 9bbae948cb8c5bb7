// src-ts/lr/index.ts — learning-rate schedulers: the LLM recipes' schedules and torch's set.
export { constantWithWarmup, cosineWithRestarts, inverseSqrt, MultiplierSchedule, polynomial, warmupCosine, warmupLinear, wsd } from "./llm.js";
export { LRScheduler, type SchedulableOptimizer, type SchedulerState } from "./scheduler.js";
export {
  ChainedScheduler,
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  MultiplicativeLR,
  MultiStepLR,
  OneCycleLR,
  PolynomialLR,
  ReduceLROnPlateau,
  SequentialLR,
  StepLR,
} from "./torch.js";
