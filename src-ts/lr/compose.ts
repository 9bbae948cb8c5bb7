// src-ts/lr/compose.ts — torch 1.13's scheduler combinators: SequentialLR (one scheduler after
// another, switching at milestones) and ChainedScheduler (all at once, each multiplying into the
// lr the previous one set).
import { fail } from "../errors.js";
import { checkNumber, optionsObject } from "../validate.js";
import { checkSchedulable, groupLr, initialLrs, LRScheduler, setGroupLr, type SchedulableOptimizer, type SchedulerState } from "./scheduler.js";

/** Runs schedulers one after another, switching at the milestones. */
export class SequentialLR extends LRScheduler {
  private readonly schedulers: LRScheduler[];
  private readonly milestones: number[];
  constructor(optimizer: SchedulableOptimizer, options: { schedulers: LRScheduler[]; milestones: number[]; lastEpoch?: number }) {
    const { schedulers, milestones, lastEpoch = -1 } = optionsObject(options) as { schedulers: LRScheduler[]; milestones: number[]; lastEpoch?: number };
    // torch: every child scheduler has recorded initial_lr by now; the groups restart from it.
    super(optimizer, { lastEpoch: lastEpoch + 1, baseLrs: initialLrs(checkSchedulable(optimizer)) });
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
