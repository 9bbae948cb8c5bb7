// src-ts/index.ts — the public API of cuoptim.
export { CuoptimError, type ErrorCode } from "./errors.js";
export {
  backends,
  cpuIsa,
  deviceCount,
  deviceKind,
  isAvailable,
  memoryStats,
  numThreads,
  resetPeakMemoryStats,
  resolveDevice,
  setCpuIsa,
  setNumThreads,
  synchronize,
  type BackendInfo,
  type Device,
  type DeviceInput,
  type DeviceKind,
  type MemoryStats,
} from "./device.js";
export { Tensor, tensor, zeros, zerosLike, isHalf, type ArrayFor, type BitsFor, type FloatDType, type TensorOptions, type ViewFor } from "./tensor.js";
export {
  Optimizer,
  type CommonOptions,
  type ParamGroup,
  type ParamGroupInput,
  type ParamsInput,
  type ParamState,
  type StateDict,
  type StepOptions,
  type StepResult,
  type CapturedStep,
} from "./optim/optimizer.js";
export { clipGradNorm, clipGradValue, gradNorm } from "./clip.js";
export { GradScaler, type GradScalerOptions } from "./grad_scaler.js";
export { EMA, type EMAOptions, type EMAState } from "./ema.js";
export { Adam, AdamW, type AdamOptions } from "./optim/adam.js";
export { SGD, type SGDOptions } from "./optim/sgd.js";
export { RMSprop, type RMSpropOptions } from "./optim/rmsprop.js";
export { Lion, type LionOptions } from "./optim/lion.js";
export { RAdam, type RAdamOptions } from "./optim/radam.js";
export { NAdam, type NAdamOptions } from "./optim/nadam.js";
export { Adamax, type AdamaxOptions } from "./optim/adamax.js";
export { Adadelta, type AdadeltaOptions } from "./optim/adadelta.js";
export { Adagrad, type AdagradOptions } from "./optim/adagrad.js";
export { ASGD, type ASGDOptions } from "./optim/asgd.js";
export { LARS, type LARSOptions } from "./optim/lars.js";
export { AdEMAMix, type AdEMAMixOptions } from "./optim/ademamix.js";
export { LAMB, type LAMBOptions } from "./optim/lamb.js";
export { Muon, type MuonOptions } from "./optim/muon.js";
export { LBFGS, type LBFGSOptions, type LBFGSStateDict } from "./optim/lbfgs.js";
export { AdamWScheduleFree, SGDScheduleFree, type AdamWScheduleFreeOptions, type SGDScheduleFreeOptions, type ScheduleFreeStateDict } from "./optim/schedule_free.js";
export { Rprop, type RpropOptions } from "./optim/rprop.js";
export { AdaBound, type AdaBoundOptions } from "./optim/adabound.js";
export { Sophia, type SophiaOptions } from "./optim/sophia.js";
export { CAME, type CAMEOptions } from "./optim/came.js";
export { Shampoo, type ShampooOptions, type RootFailure } from "./optim/shampoo.js";
export { Lookahead, type LookaheadOptions, type LookaheadStateDict } from "./optim/lookahead.js";
export { AdEMAMix8bit, Adam8bit, AdamW8bit, Lion8bit, type AdEMAMix8bitOptions, type Adam8bitOptions, type LionOptions8bit } from "./optim/adam8bit.js";
export {
  Adafactor,
  type AdafactorOptions,
  type AdafactorTorchOptions,
  type AdafactorTransformersOptions,
} from "./optim/adafactor.js";
export { dequantizeBlockwise, dynamicMap, quant, quantizeBlockwise, type QuantizedTensor, type QuantizeOptions } from "./quant.js";
export {
  inspect as inspectCheckpoint,
  load,
  save,
  type CheckpointableScheduler,
  type CheckpointContents,
  type CheckpointInfo,
  type CheckpointTargets,
} from "./checkpoint/checkpoint.js";
/** Learning-rate schedules: the LLM recipes' (warmupCosine, wsd, ...) and torch's lr_scheduler set (StepLR, OneCycleLR, ...). */
export * as lr from "./lr/index.js";
export {
  ChainedScheduler,
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  LRScheduler,
  MultiplicativeLR,
  MultiStepLR,
  OneCycleLR,
  PolynomialLR,
  ReduceLROnPlateau,
  SequentialLR,
  StepLR,
  type SchedulerState,
} from "./lr/index.js";
