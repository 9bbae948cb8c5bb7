// src-ts/lr/plateau.ts — torch 1.13's ReduceLROnPlateau, camelCased: driven by a metric, not by
// the epoch, so it is not an LRScheduler.
import { fail } from "../errors.js";
import { checkNumber, checkOneOf, optionsObject } from "../validate.js";
import { checkSchedulable, groupLr, perGroup, setGroupLr, type SchedulableOptimizer } from "./scheduler.js";

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
