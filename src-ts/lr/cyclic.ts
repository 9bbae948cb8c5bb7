// src-ts/lr/cyclic.ts — torch 1.13's cyclical schedules, camelCased: CyclicLR (Smith 2017) and
// OneCycleLR (Smith & Topin 2018), which also cycle the optimizer's momentum (or beta1).
import { fail } from "../errors.js";
import { checkBool, checkNumber, checkOneOf, optionsObject } from "../validate.js";
import { checkSchedulable, perGroup, setGroupLr, setInitialLrs, type SchedulableOptimizer, type SchedulerState } from "./scheduler.js";
import { TorchScheduler } from "./torch.js";

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
    setInitialLrs(optimizer, maxLrs.map((m) => m / divFactor));
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
