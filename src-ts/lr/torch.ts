// src-ts/lr/torch.ts — torch.optim.lr_scheduler's schedulers (torch 1.13), camelCased: the
// ones with a formula in the epoch (LambdaLR ... CosineAnnealingWarmRestarts). The cyclic ones
// are in cyclic.ts, SequentialLR and ChainedScheduler in compose.ts, ReduceLROnPlateau in
// plateau.ts.
//
// Each computes its lrs with torch's own formula — the chainable form from the groups' current
// lrs where torch uses one — so sequences match torch to rounding (test/lr.test.ts checks 1e-12).
import { fail } from "../errors.js";
import { checkBool, checkNumber, checkOneOf, optionsObject } from "../validate.js";
import { checkSchedulable, LRScheduler, type SchedulableOptimizer, type SchedulerState } from "./scheduler.js";

/** A scheduler whose base lrs are the optimizer's initial lrs (torch's _LRScheduler). */
export abstract class TorchScheduler extends LRScheduler {
  constructor(optimizer: SchedulableOptimizer, lastEpoch = -1) {
    super(checkSchedulable(optimizer), { lastEpoch });
  }
}

type EpochFn = (epoch: number) => number;

function lambdasFor(fn: EpochFn | EpochFn[], optimizer: SchedulableOptimizer): EpochFn[] {
  const n = optimizer.paramGroups.length;
  const list = Array.isArray(fn) ? fn : Array.from({ length: n }, () => fn);
  if (list.length !== n) fail("ERR_INVALID_ARGUMENT", `lrLambda: expected ${n} functions (one per param group), got ${list.length}`);
  list.forEach((f, i) => typeof f !== "function" && fail("ERR_INVALID_ARGUMENT", `lrLambda[${i}]: expected a function`));
  return list;
}

/** lr = base lr × lrLambda(epoch). */
export class LambdaLR extends TorchScheduler {
  private readonly lambdas: EpochFn[];
  constructor(optimizer: SchedulableOptimizer, lrLambda: EpochFn | EpochFn[], options?: { lastEpoch?: number }) {
    const { lastEpoch = -1 } = optionsObject(options) as { lastEpoch?: number };
    super(optimizer, lastEpoch);
    this.lambdas = lambdasFor(lrLambda, optimizer);
    this.initialStep();
  }
  protected getLr(): number[] {
    return this.baseLrs.map((base, i) => base * this.lambdas[i]!(this.lastEpoch));
  }
}

/** lr ← lr × lrLambda(epoch), from epoch 1. */
export class MultiplicativeLR extends TorchScheduler {
  private readonly lambdas: EpochFn[];
  constructor(optimizer: SchedulableOptimizer, lrLambda: EpochFn | EpochFn[], options?: { lastEpoch?: number }) {
    const { lastEpoch = -1 } = optionsObject(options) as { lastEpoch?: number };
    super(optimizer, lastEpoch);
    this.lambdas = lambdasFor(lrLambda, optimizer);
    this.initialStep();
  }
  protected getLr(): number[] {
    return this.currentLrs().map((lr, i) => (this.lastEpoch > 0 ? lr * this.lambdas[i]!(this.lastEpoch) : lr));
  }
}

/** lr ← lr × gamma every stepSize epochs. */
export class StepLR extends TorchScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  constructor(optimizer: SchedulableOptimizer, options: { stepSize: number; gamma?: number; lastEpoch?: number }) {
    const { stepSize, gamma = 0.1, lastEpoch = -1 } = optionsObject(options) as { stepSize: number; gamma?: number; lastEpoch?: number };
    super(optimizer, lastEpoch);
    this.stepSize = checkNumber(stepSize, "stepSize", { min: 1, integer: true });
    this.gamma = checkNumber(gamma, "gamma", { min: 0 });
    this.initialStep();
  }
  protected getLr(): number[] {
    const lrs = this.currentLrs();
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lrs;
    return lrs.map((lr) => lr * this.gamma);
  }
  protected override closedForm(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** lr ← lr × gamma^(times the epoch appears in milestones). */
export class MultiStepLR extends TorchScheduler {
  readonly milestones: number[];
  readonly gamma: number;
  constructor(optimizer: SchedulableOptimizer, options: { milestones: number[]; gamma?: number; lastEpoch?: number }) {
    const { milestones, gamma = 0.1, lastEpoch = -1 } = optionsObject(options) as { milestones: number[]; gamma?: number; lastEpoch?: number };
    super(optimizer, lastEpoch);
    if (!Array.isArray(milestones)) fail("ERR_INVALID_ARGUMENT", "milestones: expected an array of epochs");
    this.milestones = milestones.map((m, i) => checkNumber(m, `milestones[${i}]`, { min: 0, integer: true }));
    this.gamma = checkNumber(gamma, "gamma", { min: 0 });
    this.initialStep();
  }
  protected getLr(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    const lrs = this.currentLrs();
    return hits === 0 ? lrs : lrs.map((lr) => lr * this.gamma ** hits);
  }
  protected override closedForm(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }
}

/** lr × factor until totalIters, then the base lr. */
export class ConstantLR extends TorchScheduler {
  readonly factor: number;
  readonly totalIters: number;
  constructor(optimizer: SchedulableOptimizer, options?: { factor?: number; totalIters?: number; lastEpoch?: number }) {
    const { factor = 1 / 3, totalIters = 5, lastEpoch = -1 } = optionsObject(options) as { factor?: number; totalIters?: number; lastEpoch?: number };
    super(optimizer, lastEpoch);
    this.factor = checkNumber(factor, "factor", { min: 0, max: 1 });
    this.totalIters = checkNumber(totalIters, "totalIters", { min: 0, integer: true });
    this.initialStep();
  }
  protected getLr(): number[] {
    const lrs = this.currentLrs();
    if (this.lastEpoch === 0) return lrs.map((lr) => lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return lrs;
    return lrs.map((lr) => lr * (1.0 / this.factor));
  }
  protected override closedForm(): number[] {
    return this.baseLrs.map((b) => b * (this.factor + (this.lastEpoch >= this.totalIters ? 1 : 0) * (1 - this.factor)));
  }
}

/** The lr factor moves linearly from startFactor to endFactor over totalIters epochs. */
export class LinearLR extends TorchScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;
  constructor(optimizer: SchedulableOptimizer, options?: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number }) {
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5, lastEpoch = -1 } = optionsObject(options) as { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number };
    super(optimizer, lastEpoch);
    this.startFactor = checkNumber(startFactor, "startFactor", { min: 0, max: 1 });
    this.endFactor = checkNumber(endFactor, "endFactor", { min: 0, max: 1 });
    this.totalIters = checkNumber(totalIters, "totalIters", { min: 1, integer: true });
    this.initialStep();
  }
  protected getLr(): number[] {
    const lrs = this.currentLrs();
    if (this.lastEpoch === 0) return lrs.map((lr) => lr * this.startFactor);
    if (this.lastEpoch > this.totalIters) return lrs;
    const d = this.endFactor - this.startFactor;
    return lrs.map((lr) => lr * (1.0 + d / (this.totalIters * this.startFactor + (this.lastEpoch - 1) * d)));
  }
  protected override closedForm(): number[] {
    const d = this.endFactor - this.startFactor;
    return this.baseLrs.map((b) => b * (this.startFactor + (d * Math.min(this.totalIters, this.lastEpoch)) / this.totalIters));
  }
}

/** lr ← lr × gamma every epoch. */
export class ExponentialLR extends TorchScheduler {
  readonly gamma: number;
  constructor(optimizer: SchedulableOptimizer, options: { gamma: number; lastEpoch?: number }) {
    const { gamma, lastEpoch = -1 } = optionsObject(options) as { gamma: number; lastEpoch?: number };
    super(optimizer, lastEpoch);
    this.gamma = checkNumber(gamma, "gamma", { min: 0 });
    this.initialStep();
  }
  protected getLr(): number[] {
    const lrs = this.currentLrs();
    return this.lastEpoch === 0 ? lrs : lrs.map((lr) => lr * this.gamma);
  }
  protected override closedForm(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

/** The lr decays to 0 as (1 - epoch/totalIters)^power. */
export class PolynomialLR extends TorchScheduler {
  readonly totalIters: number;
  readonly power: number;
  constructor(optimizer: SchedulableOptimizer, options?: { totalIters?: number; power?: number; lastEpoch?: number }) {
    const { totalIters = 5, power = 1, lastEpoch = -1 } = optionsObject(options) as { totalIters?: number; power?: number; lastEpoch?: number };
    super(optimizer, lastEpoch);
    this.totalIters = checkNumber(totalIters, "totalIters", { min: 1, integer: true });
    this.power = checkNumber(power, "power");
    this.initialStep();
  }
  protected getLr(): number[] {
    const lrs = this.currentLrs();
    if (this.lastEpoch === 0 || this.lastEpoch > this.totalIters) return lrs;
    const f = ((1.0 - this.lastEpoch / this.totalIters) / (1.0 - (this.lastEpoch - 1) / this.totalIters)) ** this.power;
    return lrs.map((lr) => lr * f);
  }
  protected override closedForm(): number[] {
    return this.baseLrs.map((b) => b * (1.0 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power);
  }
}

/** Cosine annealing from the base lr to etaMin over tMax epochs (SGDR without restarts). */
export class CosineAnnealingLR extends TorchScheduler {
  readonly tMax: number;
  readonly etaMin: number;
  constructor(optimizer: SchedulableOptimizer, options: { tMax: number; etaMin?: number; lastEpoch?: number }) {
    const { tMax, etaMin = 0, lastEpoch = -1 } = optionsObject(options) as { tMax: number; etaMin?: number; lastEpoch?: number };
    super(optimizer, lastEpoch);
    this.tMax = checkNumber(tMax, "tMax", { min: 1, integer: true });
    this.etaMin = checkNumber(etaMin, "etaMin", { min: 0 });
    this.initialStep();
  }
  protected getLr(): number[] {
    const lrs = this.currentLrs();
    const { lastEpoch: e, tMax: T, etaMin } = this;
    if (e === 0) return lrs;
    if (this.stepCount === 1 && e > 0) return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((e * Math.PI) / T))) / 2);
    if ((e - 1 - T) % (2 * T) === 0) return lrs.map((lr, i) => lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    return lrs.map((lr) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (lr - etaMin) + etaMin);
  }
  protected override closedForm(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }
}

/** SGDR: cosine annealing restarted every tI epochs, tI growing by tMult (Loshchilov & Hutter 2017). */
export class CosineAnnealingWarmRestarts extends TorchScheduler {
  readonly t0: number;
  readonly tMult: number;
  readonly etaMin: number;
  private tI: number;
  private tCur: number;
  constructor(optimizer: SchedulableOptimizer, options: { t0: number; tMult?: number; etaMin?: number; lastEpoch?: number }) {
    const { t0, tMult = 1, etaMin = 0, lastEpoch = -1 } = optionsObject(options) as { t0: number; tMult?: number; etaMin?: number; lastEpoch?: number };
    super(optimizer, lastEpoch);
    this.t0 = checkNumber(t0, "t0", { min: 1, integer: true });
    this.tMult = checkNumber(tMult, "tMult", { min: 1, integer: true });
    this.etaMin = checkNumber(etaMin, "etaMin", { min: 0 });
    this.tI = this.t0;
    this.tCur = lastEpoch;
    this.initialStep();
  }
  override step(): void {
    if (this.lastEpoch < 0) {
      this.stepToEpoch(0); // torch's first step is step(epoch=0)
      return;
    }
    this.tCur += 1;
    if (this.tCur >= this.tI) {
      this.tCur -= this.tI;
      this.tI *= this.tMult;
    }
    this.stepCount += 1;
    this.lastEpoch += 1;
    this.apply(this.getLr());
  }
  /** torch's step(epoch) for SGDR: the restart cycle that `epoch` falls in. */
  override stepToEpoch(epoch: number): void {
    checkNumber(epoch, "epoch", { min: 0 });
    if (epoch >= this.t0) {
      if (this.tMult === 1) {
        this.tCur = epoch % this.t0;
      } else {
        const n = Math.trunc(Math.log((epoch / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
        this.tCur = epoch - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
        this.tI = this.t0 * this.tMult ** n;
      }
    } else {
      this.tI = this.t0;
      this.tCur = epoch;
    }
    this.stepCount += 1;
    this.lastEpoch = Math.floor(epoch);
    this.apply(this.getLr());
  }
  protected getLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2);
  }
  protected override extraState(): Record<string, unknown> {
    return { tI: this.tI, tCur: this.tCur };
  }
  protected override checkExtraState(s: SchedulerState, bad: (w: string) => never): void {
    if (typeof s.tI !== "number" || typeof s.tCur !== "number") bad("tI/tCur: expected numbers");
  }
  protected override loadExtraState(s: SchedulerState): void {
    this.tI = s.tI as number;
    this.tCur = s.tCur as number;
  }
}
