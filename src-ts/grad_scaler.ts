// src-ts/grad_scaler.ts — dynamic loss scaling, torch.cuda.amp.GradScaler's algorithm, with the
// unscale and the inf check folded into the optimizer step.
//
// Multiply the loss by scale() before computing gradients; scaler.step(optimizer) then steps with
// the gradients divided by the scale as they are read — or skips the step, changing nothing,
// when a gradient is not finite — and update() adjusts the scale: × backoffFactor after a skipped
// step, × growthFactor after growthInterval good steps in a row. The scale is a float32, as
// torch's.
import { fail } from "./errors.js";
import type { StepOptions, StepResult } from "./optim/optimizer.js";
import { checkBool, checkNumber, optionsObject } from "./validate.js";

/** Options of GradScaler (torch.cuda.amp.GradScaler's, with its defaults). */
export interface GradScalerOptions {
  /** the first loss scale, > 0. Default: 65536 (2^16). */
  initScale?: number;
  /** the scale is multiplied by this after growthInterval steps without a non-finite gradient, > 1. Default: 2. */
  growthFactor?: number;
  /** the scale is multiplied by this when a step finds a non-finite gradient, in (0, 1). Default: 0.5. */
  backoffFactor?: number;
  /** finite steps between growths, >= 1. Default: 2000. */
  growthInterval?: number;
  /** false makes the scaler a pass-through: scale 1, steps as the optimizer alone would (torch's enabled=False). Default: true. */
  enabled?: boolean;
}

/** Dynamic loss scaling for mixed-precision training (torch.cuda.amp.GradScaler): scale the loss, then step() unscales inside the fused step, skips a step whose gradients overflow and adjusts the scale. */
export class GradScaler {
  private scaleValue: number;
  private growthTracker = 0;
  private foundInf: boolean | null = null;
  readonly growthFactor: number;
  readonly backoffFactor: number;
  readonly growthInterval: number;
  readonly enabled: boolean;

  constructor(options?: GradScalerOptions) {
    const { initScale = 2 ** 16, growthFactor = 2, backoffFactor = 0.5, growthInterval = 2000, enabled = true } = optionsObject(options);
    this.scaleValue = Math.fround(checkNumber(initScale, "initScale", { min: 0, minOpen: true }));
    this.growthFactor = checkNumber(growthFactor, "growthFactor", { min: 1, minOpen: true });
    this.backoffFactor = checkNumber(backoffFactor, "backoffFactor", { min: 0, max: 1, minOpen: true, maxOpen: true });
    this.growthInterval = checkNumber(growthInterval, "growthInterval", { min: 1, integer: true });
    this.enabled = checkBool(enabled, "enabled");
  }

  /** The current scale (1 when disabled). */
  getScale(): number {
    return this.enabled ? this.scaleValue : 1;
  }

  /** loss × scale: compute gradients of this. */
  scale(loss: number): number {
    return checkNumber(loss, "loss") * this.getScale();
  }

  /** Steps with the gradients unscaled as they are read; skips the step on a non-finite gradient. */
  step(optimizer: { step(options: StepOptions): StepResult }, options: Omit<StepOptions, "gradScale" | "skipNonFinite"> = {}): StepResult {
    if (!this.enabled) return optimizer.step(options);
    const inverse = Math.fround(1 / this.scaleValue); // torch: scale.double().reciprocal().float()
    const result = optimizer.step({ ...options, gradScale: inverse, skipNonFinite: true });
    this.foundInf = !result.applied;
    return result;
  }

  /** Backs off after a skipped step, grows after growthInterval steps without one. */
  update(): void {
    if (!this.enabled) return;
    if (this.foundInf === null) fail("ERR_INVALID_ARGUMENT", "update: call step(optimizer) first");
    if (this.foundInf) {
      this.scaleValue = Math.fround(this.scaleValue * this.backoffFactor);
      this.growthTracker = 0;
    } else if (++this.growthTracker === this.growthInterval) {
      this.scaleValue = Math.fround(this.scaleValue * this.growthFactor);
      this.growthTracker = 0;
    }
    this.foundInf = null;
  }

  stateDict(): { scale: number; growthTracker: number } {
    return { scale: this.scaleValue, growthTracker: this.growthTracker };
  }

  loadStateDict(s: { scale: number; growthTracker: number }): void {
    if (!s || typeof s.scale !== "number" || !(s.scale > 0) || !Number.isInteger(s.growthTracker) || s.growthTracker < 0) {
      fail("ERR_STATE_DICT", "loadStateDict: expected {scale > 0, growthTracker >= 0}");
    }
    this.scaleValue = Math.fround(s.scale);
    this.growthTracker = s.growthTracker;
  }
}
