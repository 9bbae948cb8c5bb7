// src-ts/lr/llm.ts — the schedules LLM training recipes use, as multipliers of each group's base
// lr over the step count (the scheduler's epoch), with the formulas of transformers'
// get_*_schedule_with_warmup functions. warmupCosine is seed 000's lr_lambda: linear warmup from
// 0, then cosine decay to minRatio of the peak.
import { fail } from "../errors.js";
import { checkNumber, checkOneOf, optionsObject } from "../validate.js";
import { checkSchedulable, LRScheduler, type SchedulableOptimizer } from "./scheduler.js";

/** lr = base lr × multiplier(step). */
export class MultiplierSchedule extends LRScheduler {
  readonly name: string;
  private readonly multiplier: (step: number) => number;
  constructor(optimizer: SchedulableOptimizer, name: string, multiplier: (step: number) => number, { lastEpoch = -1 } = {}) {
    super(optimizer, { lastEpoch });
    this.name = name;
    this.multiplier = multiplier;
    this.initialStep();
  }
  protected getLr(): number[] {
    const m = this.multiplier(this.lastEpoch);
    return this.baseLrs.map((b) => b * m);
  }
  protected override closedForm(): number[] {
    return this.getLr();
  }
}

interface Warmup {
  warmupSteps: number;
}
interface Total extends Warmup {
  totalSteps: number;
}

/** Checks the optimizer and that the options are an object, before any option is read. */
function scheduleOptions<T extends object>(optimizer: SchedulableOptimizer, o: T): T {
  checkSchedulable(optimizer);
  // Required here (warmupSteps has no default), so undefined is refused too.
  if (o === undefined) fail("ERR_INVALID_ARGUMENT", "options: expected an options object");
  return optionsObject(o);
}

function warmupSteps(o: Warmup): number {
  return checkNumber(o.warmupSteps, "warmupSteps", { min: 0, integer: true });
}

function totalAfterWarmup(o: Total): [number, number] {
  const w = warmupSteps(o);
  const t = checkNumber(o.totalSteps, "totalSteps", { min: 0, integer: true });
  if (t <= w) fail("ERR_RANGE", `totalSteps: expected more than warmupSteps (${w}), got ${t}`);
  return [w, t];
}

function ratio(v: number | undefined, name: string, fallback: number): number {
  return checkNumber(v ?? fallback, name, { min: 0, max: 1 });
}

const warm = (step: number, w: number) => step / Math.max(1, w);

/** Linear warmup from 0 to the peak, then cosine decay to minRatio × peak at totalSteps (and after). */
export function warmupCosine(optimizer: SchedulableOptimizer, o: Total & { minRatio?: number; numCycles?: number }): MultiplierSchedule {
  o = scheduleOptions(optimizer, o);
  const [w, t] = totalAfterWarmup(o);
  const min = ratio(o.minRatio, "minRatio", 0);
  const cycles = checkNumber(o.numCycles ?? 0.5, "numCycles", { min: 0, minOpen: true });
  return new MultiplierSchedule(optimizer, "warmupCosine", (step) => {
    if (step < w) return warm(step, w);
    const progress = Math.min(1, (step - w) / Math.max(1, t - w));
    return Math.max(0, min + (1 - min) * 0.5 * (1 + Math.cos(Math.PI * cycles * 2 * progress)));
  });
}

/** Linear warmup, then linear decay to minRatio × peak at totalSteps. */
export function warmupLinear(optimizer: SchedulableOptimizer, o: Total & { minRatio?: number }): MultiplierSchedule {
  o = scheduleOptions(optimizer, o);
  const [w, t] = totalAfterWarmup(o);
  const min = ratio(o.minRatio, "minRatio", 0);
  return new MultiplierSchedule(optimizer, "warmupLinear", (step) => {
    if (step < w) return warm(step, w);
    return min + (1 - min) * Math.max(0, (t - step) / Math.max(1, t - w));
  });
}

/** Linear warmup, then the peak lr. */
export function constantWithWarmup(optimizer: SchedulableOptimizer, o: Warmup): MultiplierSchedule {
  o = scheduleOptions(optimizer, o);
  const w = warmupSteps(o);
  return new MultiplierSchedule(optimizer, "constantWithWarmup", (step) => (step < w ? warm(step, w) : 1));
}

/** Linear warmup, then 1/sqrt((step + timescale - warmup) / timescale) (timescale = warmupSteps, or 10^4 without warmup). */
export function inverseSqrt(optimizer: SchedulableOptimizer, o: Warmup & { timescale?: number }): MultiplierSchedule {
  o = scheduleOptions(optimizer, o);
  const w = warmupSteps(o);
  const ts = checkNumber(o.timescale ?? (w || 10_000), "timescale", { min: 0, minOpen: true });
  return new MultiplierSchedule(optimizer, "inverseSqrt", (step) => (step < w ? warm(step, w) : 1 / Math.sqrt((step + ts - w) / ts)));
}

/** Linear warmup, then numCycles cosine decays to minRatio, each restarting at the peak (SGDR-style hard restarts). */
export function cosineWithRestarts(optimizer: SchedulableOptimizer, o: Total & { numCycles?: number; minRatio?: number }): MultiplierSchedule {
  o = scheduleOptions(optimizer, o);
  const [w, t] = totalAfterWarmup(o);
  const cycles = checkNumber(o.numCycles ?? 1, "numCycles", { min: 1, integer: true });
  const min = ratio(o.minRatio, "minRatio", 0);
  return new MultiplierSchedule(optimizer, "cosineWithRestarts", (step) => {
    if (step < w) return warm(step, w);
    const progress = (step - w) / Math.max(1, t - w);
    if (progress >= 1) return min;
    return min + (1 - min) * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * ((cycles * progress) % 1))));
  });
}

/** Linear warmup, then (1 - progress)^power decay to endRatio × peak at totalSteps. */
export function polynomial(optimizer: SchedulableOptimizer, o: Total & { power?: number; endRatio?: number }): MultiplierSchedule {
  o = scheduleOptions(optimizer, o);
  const [w, t] = totalAfterWarmup(o);
  const power = checkNumber(o.power ?? 1, "power", { min: 0, minOpen: true });
  const end = ratio(o.endRatio, "endRatio", 0);
  return new MultiplierSchedule(optimizer, "polynomial", (step) => {
    if (step < w) return warm(step, w);
    if (step > t) return end;
    return (1 - end) * (1 - (step - w) / (t - w)) ** power + end;
  });
}

/**
 * Warmup-stable-decay (Hu et al. 2024, MiniCPM): linear warmup, the peak for stableSteps, then a
 * decay over decaySteps to minRatio — "cosine", "linear" or "1-sqrt" — held afterwards.
 */
export function wsd(
  optimizer: SchedulableOptimizer,
  o: Warmup & { stableSteps: number; decaySteps: number; minRatio?: number; decayShape?: "cosine" | "linear" | "1-sqrt" },
): MultiplierSchedule {
  o = scheduleOptions(optimizer, o);
  const w = warmupSteps(o);
  const stable = checkNumber(o.stableSteps, "stableSteps", { min: 0, integer: true });
  const decay = checkNumber(o.decaySteps, "decaySteps", { min: 1, integer: true });
  const min = ratio(o.minRatio, "minRatio", 0);
  const shape = checkOneOf(o.decayShape ?? "cosine", "decayShape", ["cosine", "linear", "1-sqrt"] as const);
  return new MultiplierSchedule(optimizer, "wsd", (step) => {
    if (step < w) return warm(step, w);
    if (step < w + stable) return 1;
    const progress = Math.min(1, (step - w - stable) / decay);
    const value = shape === "cosine" ? 0.5 * (1 + Math.cos(Math.PI * progress)) : shape === "linear" ? 1 - progress : 1 - Math.sqrt(progress);
    return min + (1 - min) * value;
  });
}
