// src-ts/lr/torch.ts — torch.optim.lr_scheduler's schedulers (torch 1.13), camelCased.
//
// Each computes its lrs with torch's own formula — the chainable form from the groups' current
// lrs where torch uses one — so sequences match torch to rounding (test/lr.test.ts checks 1e-12).
import { fail } from "../errors.js";
import { checkBool, checkNumber, checkOneOf, optionsObject } from "../validate.js";
import { checkSchedulable, groupLr, LRScheduler, perGroup, setGroupLr, type SchedulableOptimizer, type SchedulerState } from "./scheduler.js";

// torch records each group's first lr once, as 'initial_lr' (setdefault): every later scheduler
// on the same optimizer takes its base lrs from there, not from the lrs an earlier one set.
const initialLrs = new WeakMap<SchedulableOptimizer, number[]>();

function baseLrsFor(optimizer: SchedulableOptimizer): number[] {
  let lrs = initialLrs.get(optimizer);
  if (!lrs || lrs.length !== optimizer.paramGroups.length) {
    lrs = optimizer.paramGroups.map((_, i) => groupLr(optimizer, i));
    initialLrs.set(optimizer, lrs);
  }
  return [...lrs];
}

abstract class TorchScheduler extends LRScheduler {
  constructor(optimizer: SchedulableOptimizer, lastEpoch = -1) {
    super(optimizer, { lastEpoch, baseLrs: baseLrsFor(checkSchedulable(optimizer)) });
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

type MomentumKind = "momentum" | "beta1";

function momentumKind(optimizer: SchedulableOptimizer, allowBetas: boolean): MomentumKind {
  if ("momentum" in optimizer.defaults) return "momentum";
  if (allowBetas && "betas" in optimizer.defaults) return "beta1";
  fail("ERR_INVALID_ARGUMENT", "cycleMomentum: the optimizer has no momentum to cycle");
}

function setMomentum(optimizer: SchedulableOptimizer, i: number, kind: MomentumKind, value: number): void {
  const g = optimizer.paramGroups[i] as { momentum?: number; betas?: number[] };
  if (kind === "momentum") g.momentum = value;
  else g.betas = [value, ...g.betas!.slice(1)];
}

/** Cyclical learning rates (Smith 2017): triangular, triangular2 or exp_range. */
export class CyclicLR extends TorchScheduler {
  private readonly maxLrs: number[];
  private readonly totalSize: number;
  private readonly stepRatio: number;
  readonly mode: "triangular" | "triangular2" | "exp_range";
  readonly gamma: number;
  private readonly scaleFn: (x: number) => number;
  private readonly scaleMode: "cycle" | "iterations";
  private readonly cycleMomentum: boolean;
  private readonly baseMomentums: number[] = [];
  private readonly maxMomentums: number[] = [];
  private readonly kind: MomentumKind = "momentum";

  constructor(
    optimizer: SchedulableOptimizer,
    o: {
      baseLr: number | number[];
      maxLr: number | number[];
      stepSizeUp?: number;
      stepSizeDown?: number | null;
      mode?: "triangular" | "triangular2" | "exp_range";
      gamma?: number;
      scaleFn?: (x: number) => number;
      scaleMode?: "cycle" | "iterations";
      cycleMomentum?: boolean;
      baseMomentum?: number | number[];
      maxMomentum?: number | number[];
      lastEpoch?: number;
    },
  ) {
    checkSchedulable(optimizer);
    o = optionsObject(o);
    const lastEpoch = o.lastEpoch ?? -1;
    const baseLrs = perGroup(o.baseLr, optimizer, "baseLr", { min: 0 });
    if (lastEpoch === -1) baseLrs.forEach((lr, i) => setGroupLr(optimizer, i, lr));
    super(optimizer, lastEpoch);
    this.maxLrs = perGroup(o.maxLr, optimizer, "maxLr", { min: 0 });
    const up = checkNumber(o.stepSizeUp ?? 2000, "stepSizeUp", { min: 0, minOpen: true });
    const down = o.stepSizeDown == null ? up : checkNumber(o.stepSizeDown, "stepSizeDown", { min: 0, minOpen: true });
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    this.mode = checkOneOf(o.mode ?? "triangular", "mode", ["triangular", "triangular2", "exp_range"] as const);
    this.gamma = checkNumber(o.gamma ?? 1, "gamma");
    if (o.scaleFn) {
      if (typeof o.scaleFn !== "function") fail("ERR_INVALID_ARGUMENT", "scaleFn: expected a function");
      this.scaleFn = o.scaleFn;
      this.scaleMode = checkOneOf(o.scaleMode ?? "cycle", "scaleMode", ["cycle", "iterations"] as const);
    } else if (this.mode === "triangular") {
      this.scaleFn = () => 1.0;
      this.scaleMode = "cycle";
    } else if (this.mode === "triangular2") {
      this.scaleFn = (x) => 1 / 2.0 ** (x - 1);
      this.scaleMode = "cycle";
    } else {
      this.scaleFn = (x) => this.gamma ** x;
      this.scaleMode = "iterations";
    }
    this.cycleMomentum = checkBool(o.cycleMomentum ?? true, "cycleMomentum");
    if (this.cycleMomentum) {
      this.kind = momentumKind(optimizer, false);
      const base = perGroup(o.baseMomentum ?? 0.8, optimizer, "baseMomentum", { min: 0 });
      if (lastEpoch === -1) base.forEach((m, i) => setMomentum(optimizer, i, this.kind, m));
      this.baseMomentums = optimizer.paramGroups.map((g) => (g as unknown as { momentum: number }).momentum);
      this.maxMomentums = perGroup(o.maxMomentum ?? 0.9, optimizer, "maxMomentum", { min: 0 });
    }
    this.initialStep();
    this.baseLrs = baseLrs;
  }

  protected getLr(): number[] {
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1.0 + this.lastEpoch / this.totalSize - cycle;
    const scale = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const arg = this.scaleMode === "cycle" ? cycle : this.lastEpoch;
    const lrs = this.baseLrs.map((base, i) => base + (this.maxLrs[i]! - base) * scale * this.scaleFn(arg));
    if (this.cycleMomentum) {
      this.baseMomentums.forEach((base, i) => {
        const max = this.maxMomentums[i]!;
        setMomentum(this.optimizer, i, this.kind, max - (max - base) * scale * this.scaleFn(arg));
      });
    }
    return lrs;
  }
}

/** The 1cycle policy (Smith & Topin 2018): warm up to maxLr, then anneal far below the start. */
export class OneCycleLR extends TorchScheduler {
  readonly totalSteps: number;
  private readonly phases: { endStep: number; startLr: "initial" | "max" | "min"; endLr: "initial" | "max" | "min"; startMomentum: "max" | "base"; endMomentum: "max" | "base" }[];
  private readonly anneal: (start: number, end: number, pct: number) => number;
  private readonly groups: { initial: number; max: number; min: number; maxMomentum: number; baseMomentum: number }[];
  private readonly cycleMomentum: boolean;
  private readonly kind: MomentumKind = "momentum";

  constructor(
    optimizer: SchedulableOptimizer,
    o: {
      maxLr: number | number[];
      totalSteps?: number;
      epochs?: number;
      stepsPerEpoch?: number;
      pctStart?: number;
      annealStrategy?: "cos" | "linear";
      cycleMomentum?: boolean;
      baseMomentum?: number | number[];
      maxMomentum?: number | number[];
      divFactor?: number;
      finalDivFactor?: number;
      threePhase?: boolean;
      lastEpoch?: number;
    },
  ) {
    checkSchedulable(optimizer);
    o = optionsObject(o);
    const maxLrs = perGroup(o.maxLr, optimizer, "maxLr", { min: 0 });
    const divFactor = checkNumber(o.divFactor ?? 25, "divFactor", { min: 0, minOpen: true });
    const finalDivFactor = checkNumber(o.finalDivFactor ?? 1e4, "finalDivFactor", { min: 0, minOpen: true });
    // torch stores these in the groups (initial_lr first, which becomes every scheduler's base)
    initialLrs.set(optimizer, maxLrs.map((m) => m / divFactor));
    super(optimizer, o.lastEpoch ?? -1);
    let total: number;
    if (o.totalSteps !== undefined) total = checkNumber(o.totalSteps, "totalSteps", { min: 1, integer: true });
    else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      total = checkNumber(o.epochs, "epochs", { min: 1, integer: true }) * checkNumber(o.stepsPerEpoch, "stepsPerEpoch", { min: 1, integer: true });
    } else fail("ERR_INVALID_ARGUMENT", "totalSteps: give totalSteps, or epochs and stepsPerEpoch");
    this.totalSteps = total;
    const pct = checkNumber(o.pctStart ?? 0.3, "pctStart", { min: 0, max: 1 });
    this.phases = o.threePhase
      ? [
          { endStep: pct * total - 1, startLr: "initial", endLr: "max", startMomentum: "max", endMomentum: "base" },
          { endStep: 2 * pct * total - 2, startLr: "max", endLr: "initial", startMomentum: "base", endMomentum: "max" },
          { endStep: total - 1, startLr: "initial", endLr: "min", startMomentum: "max", endMomentum: "max" },
        ]
      : [
          { endStep: pct * total - 1, startLr: "initial", endLr: "max", startMomentum: "max", endMomentum: "base" },
          { endStep: total - 1, startLr: "max", endLr: "min", startMomentum: "base", endMomentum: "max" },
        ];
    const strategy = checkOneOf(o.annealStrategy ?? "cos", "annealStrategy", ["cos", "linear"] as const);
    this.anneal = strategy === "cos" ? (s, e, p) => e + ((s - e) / 2.0) * (Math.cos(Math.PI * p) + 1) : (s, e, p) => (e - s) * p + s;
    this.cycleMomentum = checkBool(o.cycleMomentum ?? true, "cycleMomentum");
    const maxM = perGroup(o.maxMomentum ?? 0.95, optimizer, "maxMomentum", { min: 0 });
    const baseM = perGroup(o.baseMomentum ?? 0.85, optimizer, "baseMomentum", { min: 0 });
    this.groups = maxLrs.map((max, i) => ({ initial: max / divFactor, max, min: max / divFactor / finalDivFactor, maxMomentum: maxM[i]!, baseMomentum: baseM[i]! }));
    if (this.cycleMomentum) {
      this.kind = momentumKind(optimizer, true);
      if ((o.lastEpoch ?? -1) === -1) this.groups.forEach((g, i) => setMomentum(optimizer, i, this.kind, g.maxMomentum));
    }
    this.initialStep();
  }

  protected getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) fail("ERR_RANGE", `step: tried to step ${stepNum + 1} times; totalSteps is ${this.totalSteps}`);
    return this.groups.map((g, gi) => {
      let start = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const phase = this.phases[i]!;
        if (stepNum <= phase.endStep || i === this.phases.length - 1) {
          const pct = (stepNum - start) / (phase.endStep - start);
          const lr = this.anneal(g[phase.startLr], g[phase.endLr], pct);
          if (this.cycleMomentum) {
            const m = { max: g.maxMomentum, base: g.baseMomentum };
            setMomentum(this.optimizer, gi, this.kind, this.anneal(m[phase.startMomentum], m[phase.endMomentum], pct));
          }
          return lr;
        }
        start = phase.endStep;
      }
      return NaN; // unreachable: the last phase always matches
    });
  }
}

/** Runs schedulers one after another, switching at the milestones. */
export class SequentialLR extends LRScheduler {
  private readonly schedulers: LRScheduler[];
  private readonly milestones: number[];
  constructor(optimizer: SchedulableOptimizer, options: { schedulers: LRScheduler[]; milestones: number[]; lastEpoch?: number }) {
    const { schedulers, milestones, lastEpoch = -1 } = optionsObject(options) as { schedulers: LRScheduler[]; milestones: number[]; lastEpoch?: number };
    super(optimizer, { lastEpoch: lastEpoch + 1, baseLrs: baseLrsFor(checkSchedulable(optimizer)) });
    if (!Array.isArray(schedulers) || schedulers.length === 0) fail("ERR_INVALID_ARGUMENT", "schedulers: expected a non-empty array");
    schedulers.forEach((s, i) => s?.optimizer !== optimizer && fail("ERR_INVALID_ARGUMENT", `schedulers[${i}]: belongs to another optimizer`));
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      fail("ERR_INVALID_ARGUMENT", `milestones: expected ${schedulers.length - 1} milestones (one fewer than the schedulers)`);
    }
    milestones.forEach((m, i) => checkNumber(m, `milestones[${i}]`, { min: 0, integer: true }));
    this.schedulers = schedulers;
    this.milestones = milestones;
    this.baseLrs.forEach((lr, i) => setGroupLr(optimizer, i, lr));
    for (const s of schedulers) s.lastEpoch -= 1;
    (schedulers[0] as unknown as { initialStep(): void }).initialStep();
    this.lastLr = schedulers[0]!.getLastLr();
  }
  protected getLr(): number[] {
    return this.currentLrs();
  }
  override step(): void {
    this.lastEpoch += 1;
    let idx = 0;
    while (idx < this.milestones.length && this.milestones[idx]! <= this.lastEpoch) idx++;
    const s = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.stepToEpoch(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }
  protected override extraState(): Record<string, unknown> {
    return { schedulers: this.schedulers.map((s) => s.stateDict()) };
  }
  protected override checkExtraState(s: SchedulerState, bad: (w: string) => never): void {
    if (!Array.isArray(s.schedulers) || s.schedulers.length !== this.schedulers.length) bad(`schedulers: expected ${this.schedulers.length} states`);
    (s.schedulers as SchedulerState[]).forEach((st, i) => this.schedulers[i]!.checkStateDict(st));
  }
  protected override loadExtraState(s: SchedulerState): void {
    (s.schedulers as SchedulerState[]).forEach((st, i) => this.schedulers[i]!.loadStateDict(st));
  }
}

/** Steps every scheduler at once, each multiplying into the lr the previous one set. */
export class ChainedScheduler {
  private readonly schedulers: LRScheduler[];
  readonly optimizer: SchedulableOptimizer;
  private lastLr: number[];
  constructor(schedulers: LRScheduler[]) {
    if (!Array.isArray(schedulers) || schedulers.length === 0) fail("ERR_INVALID_ARGUMENT", "schedulers: expected a non-empty array");
    const opt = checkSchedulable(schedulers[0]?.optimizer, "schedulers[0].optimizer");
    schedulers.forEach((s, i) => s?.optimizer !== opt && fail("ERR_INVALID_ARGUMENT", `schedulers[${i}]: belongs to another optimizer`));
    this.schedulers = [...schedulers];
    this.optimizer = opt;
    this.lastLr = opt.paramGroups.map((_, i) => groupLr(opt, i));
  }
  step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = this.optimizer.paramGroups.map((_, i) => groupLr(this.optimizer, i));
  }
  getLastLr(): number[] {
    return [...this.lastLr];
  }
  stateDict(): { lastLr: number[]; schedulers: SchedulerState[] } {
    return { lastLr: [...this.lastLr], schedulers: this.schedulers.map((s) => s.stateDict()) };
  }
  /** Throws ERR_STATE_DICT unless loadStateDict(state) would succeed; changes nothing. */
  checkStateDict(state: { lastLr: number[]; schedulers: SchedulerState[] }): void {
    if (!state || !Array.isArray(state.schedulers) || state.schedulers.length !== this.schedulers.length) {
      fail("ERR_STATE_DICT", `loadStateDict: schedulers: expected ${this.schedulers.length} states`);
    }
    if (!Array.isArray(state.lastLr) || state.lastLr.some((x) => typeof x !== "number")) fail("ERR_STATE_DICT", "loadStateDict: lastLr: expected numbers");
    state.schedulers.forEach((st, i) => this.schedulers[i]!.checkStateDict(st));
  }
  loadStateDict(state: { lastLr: number[]; schedulers: SchedulerState[] }): void {
    this.checkStateDict(state);
    state.schedulers.forEach((st, i) => this.schedulers[i]!.loadStateDict(st));
    this.lastLr = [...state.lastLr];
  }
}

/** Cuts the lr by factor when a metric stops improving for `patience` epochs. */
export class ReduceLROnPlateau {
  readonly optimizer: SchedulableOptimizer;
  readonly mode: "min" | "max";
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: "rel" | "abs";
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  private lastLr: number[];

  constructor(
    optimizer: SchedulableOptimizer,
    o: { mode?: "min" | "max"; factor?: number; patience?: number; threshold?: number; thresholdMode?: "rel" | "abs"; cooldown?: number; minLr?: number | number[]; eps?: number } = {},
  ) {
    this.optimizer = checkSchedulable(optimizer);
    o = optionsObject(o);
    this.mode = checkOneOf(o.mode ?? "min", "mode", ["min", "max"] as const);
    this.factor = checkNumber(o.factor ?? 0.1, "factor", { max: 1, maxOpen: true });
    this.patience = checkNumber(o.patience ?? 10, "patience", { min: 0, integer: true });
    this.threshold = checkNumber(o.threshold ?? 1e-4, "threshold");
    this.thresholdMode = checkOneOf(o.thresholdMode ?? "rel", "thresholdMode", ["rel", "abs"] as const);
    this.cooldown = checkNumber(o.cooldown ?? 0, "cooldown", { min: 0, integer: true });
    this.minLrs = perGroup(o.minLr ?? 0, optimizer, "minLr", { min: 0 });
    this.eps = checkNumber(o.eps ?? 1e-8, "eps", { min: 0 });
    this.best = this.mode === "min" ? Infinity : -Infinity;
    this.lastLr = optimizer.paramGroups.map((_, i) => groupLr(optimizer, i));
  }

  private isBetter(a: number, best: number): boolean {
    if (this.mode === "min") return this.thresholdMode === "rel" ? a < best * (1.0 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === "rel" ? a > best * (this.threshold + 1.0) : a > best + this.threshold;
  }

  step(metric: number): void {
    const current = checkNumber(metric, "metric");
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((_, i) => {
        const old = groupLr(this.optimizer, i);
        const next = Math.max(old * this.factor, this.minLrs[i]!);
        if (old - next > this.eps) setGroupLr(this.optimizer, i, next);
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((_, i) => groupLr(this.optimizer, i));
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): { best: number; numBadEpochs: number; cooldownCounter: number; lastEpoch: number; lastLr: number[] } {
    return { best: this.best, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter, lastEpoch: this.lastEpoch, lastLr: [...this.lastLr] };
  }

  /** Throws ERR_STATE_DICT unless loadStateDict(s) would succeed; changes nothing. */
  checkStateDict(s: { best: number; numBadEpochs: number; cooldownCounter: number; lastEpoch: number; lastLr: number[] }): void {
    if (
      !s ||
      typeof s.best !== "number" ||
      !Number.isInteger(s.numBadEpochs) ||
      !Number.isInteger(s.cooldownCounter) ||
      !Number.isInteger(s.lastEpoch) ||
      !Array.isArray(s.lastLr) ||
      s.lastLr.length !== this.optimizer.paramGroups.length
    ) {
      fail("ERR_STATE_DICT", "loadStateDict: expected {best, numBadEpochs, cooldownCounter, lastEpoch, lastLr (one per group)}");
    }
  }

  loadStateDict(s: { best: number; numBadEpochs: number; cooldownCounter: number; lastEpoch: number; lastLr: number[] }): void {
    this.checkStateDict(s);
    Object.assign(this, { best: s.best, numBadEpochs: s.numBadEpochs, cooldownCounter: s.cooldownCounter, lastEpoch: s.lastEpoch });
    this.lastLr = [...s.lastLr];
  }
}

export { groupLr };
