// src-ts/lr/scheduler.ts — the learning-rate scheduler base, torch's _LRScheduler model.
//
// Constructing a scheduler performs its first step (epoch 0) and sets every group's lr, as torch
// does, so the lr before the first optimizer.step() is the schedule's value at step 0. step()
// advances one epoch and writes each group's lr; getLastLr() returns the values last written.
// A subclass computes the new lrs from the current ones (getLr(), torch's chainable form) or
// from the base lrs. The base lrs are the groups' initial lrs (initialLrs below), which the first
// scheduler built on the optimizer records, as torch's initial_lr.
import { fail } from "../errors.js";
import { checkNumber, optionsObject } from "../validate.js";

/** What a scheduler needs of an optimizer (any Optimizer, or a wrapper such as Lookahead): param groups with a numeric lr. */
export interface SchedulableOptimizer {
  readonly paramGroups: readonly object[];
  readonly defaults: object;
}

/** A torch scheduler's state, as stateDict() gives it (torch's names, camelCased). */
export interface SchedulerState {
  lastEpoch: number;
  stepCount: number;
  baseLrs: number[];
  lastLr: number[];
  [key: string]: unknown;
}

export function groupLr(optimizer: SchedulableOptimizer, i: number): number {
  const lr = (optimizer.paramGroups[i] as { lr?: unknown }).lr;
  if (typeof lr !== "number") fail("ERR_INVALID_ARGUMENT", `paramGroups[${i}].lr: a scheduler needs a numeric lr, got ${String(lr)}`);
  return lr;
}

export function setGroupLr(optimizer: SchedulableOptimizer, i: number, lr: number): void {
  (optimizer.paramGroups[i] as unknown as { lr: number }).lr = lr;
}

/** A per-group value: one number for every group, or an array with one per group. */
export function perGroup(value: number | readonly number[], optimizer: SchedulableOptimizer, name: string, bounds = {}): number[] {
  const n = optimizer.paramGroups.length;
  const list = Array.isArray(value) ? [...value] : Array.from({ length: n }, () => value as number);
  if (list.length !== n) fail("ERR_INVALID_ARGUMENT", `${name}: expected ${n} values (one per param group), got ${list.length}`);
  return list.map((v, i) => checkNumber(v, Array.isArray(value) ? `${name}[${i}]` : name, bounds));
}

/** Throws unless `optimizer` is something a scheduler can drive (a cuoptim optimizer). */
export function checkSchedulable(optimizer: unknown, name = "optimizer"): SchedulableOptimizer {
  const o = optimizer as { paramGroups?: unknown } | null;
  if (typeof o !== "object" || o === null || !Array.isArray(o.paramGroups)) fail("ERR_INVALID_ARGUMENT", `${name}: expected a cuoptim Optimizer`);
  return optimizer as SchedulableOptimizer;
}

// torch records each group's first lr once, as 'initial_lr' (setdefault), when a scheduler is
// built from epoch -1: every later scheduler on the optimizer takes its base lrs from there, not
// from the lrs an earlier one set. cuoptim keeps it in the group as `initialLr`, so the
// optimizer's state dict (and a checkpoint) carries it as torch's does.

/**
 * Each group's initial lr: recorded from its current lr where a group has none (a schedule that
 * starts, lastEpoch -1), required where a schedule resumes (lastEpoch >= 0), as torch requires
 * initial_lr then.
 */
export function initialLrs(optimizer: SchedulableOptimizer, lastEpoch = -1): number[] {
  return optimizer.paramGroups.map((g, i) => {
    const group = g as { initialLr?: unknown };
    if (group.initialLr === undefined) {
      if (lastEpoch !== -1) {
        fail("ERR_INVALID_ARGUMENT", `paramGroups[${i}].initialLr: missing; a schedule resumed at lastEpoch ${lastEpoch} takes its base lr from it (torch: initial_lr): load the optimizer's state dict first, or pass baseLrs`);
      }
      group.initialLr = groupLr(optimizer, i);
    }
    return checkNumber(group.initialLr, `paramGroups[${i}].initialLr`, { min: 0 });
  });
}

/** Overwrites the record (OneCycleLR does, as torch's sets initial_lr unconditionally). */
export function setInitialLrs(optimizer: SchedulableOptimizer, lrs: readonly number[]): void {
  lrs.forEach((lr, i) => ((optimizer.paramGroups[i] as { initialLr?: number }).initialLr = lr));
}

/** The base of torch's lr schedulers (torch.optim.lr_scheduler.LRScheduler): step() after each optimizer step writes each group's lr; stateDict() / loadStateDict() as torch's. */
export abstract class LRScheduler {
  readonly optimizer: SchedulableOptimizer;
  lastEpoch: number;
  baseLrs: number[];
  protected stepCount = 0;
  protected lastLr: number[] = [];

  /** `lastEpoch` >= 0 resumes a schedule: the groups must then hold initialLr, or the base lrs be given. */
  constructor(optimizer: SchedulableOptimizer, options?: { lastEpoch?: number; baseLrs?: number[] }) {
    checkSchedulable(optimizer);
    const { lastEpoch = -1, baseLrs } = optionsObject(options);
    checkNumber(lastEpoch, "lastEpoch", { min: -1, integer: true });
    this.optimizer = optimizer;
    this.baseLrs = baseLrs ? [...baseLrs] : initialLrs(optimizer, lastEpoch);
    this.lastEpoch = lastEpoch;
  }

  /** Called by subclass constructors once their own fields are set (torch's _initial_step). */
  protected initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** The new lr of every group for epoch this.lastEpoch (already advanced). */
  protected abstract getLr(): number[];

  /** Advances one epoch. All-or-nothing: if getLr throws (a user's lambda), nothing moves. */
  step(): void {
    this.advanceTo(this.lastEpoch + 1, () => this.getLr());
  }

  /**
   * torch's step(epoch): jump to `epoch`, with the closed-form lr where the scheduler has one.
   * SequentialLR uses it to restart a scheduler at 0 when its milestone is reached.
   */
  stepToEpoch(epoch: number): void {
    this.advanceTo(epoch, () => this.closedForm() ?? this.getLr());
  }

  /**
   * getLr reads lastEpoch and stepCount, so both advance first (stepCount counts this step, as
   * torch's _step_count does while get_lr runs) and are put back when the lrs cannot be computed.
   */
  private advanceTo(epoch: number, lrs: () => number[]): void {
    const previous = [this.lastEpoch, this.stepCount] as const;
    this.lastEpoch = epoch;
    this.stepCount += 1;
    let values: number[];
    try {
      values = lrs();
      values.forEach((lr, i) => checkNumber(lr, `lr of paramGroups[${i}] at epoch ${epoch}`));
    } catch (e) {
      [this.lastEpoch, this.stepCount] = previous;
      throw e;
    }
    this.apply(values);
  }

  /** The lrs for this.lastEpoch from the base lrs alone, where the schedule has such a form. */
  protected closedForm(): number[] | null {
    return null;
  }

  protected apply(values: number[]): void {
    values.forEach((lr, i) => setGroupLr(this.optimizer, i, lr));
    this.lastLr = this.optimizer.paramGroups.map((_, i) => groupLr(this.optimizer, i));
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The scheduler's counters and lrs (plain JSON); functions given to it are not included. */
  stateDict(): SchedulerState {
    return { lastEpoch: this.lastEpoch, stepCount: this.stepCount, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr], ...this.extraState() };
  }

  loadStateDict(state: SchedulerState): void {
    this.checkStateDict(state);
    this.lastEpoch = state.lastEpoch;
    this.stepCount = state.stepCount;
    this.baseLrs = [...state.baseLrs];
    this.lastLr = [...state.lastLr];
    this.loadExtraState(state);
  }

  /** Throws ERR_STATE_DICT unless loadStateDict(state) would succeed; changes nothing. */
  checkStateDict(state: SchedulerState): void {
    const n = this.optimizer.paramGroups.length;
    const bad = (what: string): never => fail("ERR_STATE_DICT", `loadStateDict: ${what}`);
    if (typeof state !== "object" || state === null) bad("expected an object from stateDict()");
    if (!Number.isInteger(state.lastEpoch) || state.lastEpoch < -1) bad(`lastEpoch: expected a whole number >= -1, got ${String(state.lastEpoch)}`);
    if (!Number.isInteger(state.stepCount) || state.stepCount < 0) bad(`stepCount: expected a whole number >= 0`);
    for (const key of ["baseLrs", "lastLr"] as const) {
      const v = state[key];
      if (!Array.isArray(v) || v.length !== n || v.some((x) => typeof x !== "number" || !Number.isFinite(x))) {
        bad(`${key}: expected ${n} finite numbers (one per param group)`);
      }
    }
    this.checkExtraState(state, bad);
  }

  /** Subclass state beyond the counters (JSON values). */
  protected extraState(): Record<string, unknown> {
    return {};
  }
  protected checkExtraState(_state: SchedulerState, _bad: (what: string) => never): void {}
  protected loadExtraState(_state: SchedulerState): void {}

  protected currentLrs(): number[] {
    return this.optimizer.paramGroups.map((_, i) => groupLr(this.optimizer, i));
  }
}
