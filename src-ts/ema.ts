// src-ts/ema.ts — an exponential moving average of weights, for evaluation.
//
// shadow ← lerp(shadow, param, 1 − decay_t) after each update() (torch's lerp_, one fused kernel
// over every tensor). With warmup, decay_t = min(decay, (1 + t)/(10 + t)) for the t-th update
// (TensorFlow's ExponentialMovingAverage with num_updates), so early averages are not dominated by
// the initial weights. copyTo() writes the averages into the params; swap() exchanges them (call
// it again to swap back).
import { fail } from "./errors.js";
import { native } from "./native.js";
import { castInto } from "./optim/precision.js";
import { checkTensor, formatShape, isHalf, stateTensor, Tensor } from "./tensor.js";
import { checkBool, checkNumber, optionsObject } from "./validate.js";

/** Options of EMA. */
export interface EMAOptions {
  /** the shadow's decay, in [0, 1]: shadow ← decay·shadow + (1 − decay)·param. Default: 0.999. */
  decay?: number;
  /** use decay_t = min(decay, (1 + t)/(10 + t)) for the t-th update. Default: false. */
  warmup?: boolean;
}

/** EMA's state as stateDict() gives it and loadStateDict() takes it. */
export interface EMAState {
  decay: number;
  warmup: boolean;
  updates: number;
  shadow: Float32Array[];
}

/** An exponential moving average of params (shadow weights), updated by one fused kernel over every tensor; copyTo() writes it into the params, swap() exchanges params and shadow (for evaluation). */
export class EMA {
  readonly params: Tensor[];
  readonly shadow: Tensor[];
  #decay: number;
  #warmup: boolean;
  updates = 0;

  /** The configured decay (a loaded state dict restores the one it was saved with). */
  get decay(): number {
    return this.#decay;
  }
  get warmup(): boolean {
    return this.#warmup;
  }

  constructor(params: Tensor[], options?: EMAOptions) {
    const { decay = 0.999, warmup = false } = optionsObject(options);
    if (!Array.isArray(params) || params.length === 0) fail("ERR_INVALID_ARGUMENT", "params: expected a non-empty array of tensors");
    params.forEach((p, i) => {
      checkTensor(p, `params[${i}]`);
      p.assertLive(`params[${i}]`);
      if (p.device !== params[0]!.device) fail("ERR_DEVICE", `params[${i}]: expected a tensor on ${params[0]!.device}`);
    });
    this.#decay = checkNumber(decay, "decay", { min: 0, max: 1 });
    this.#warmup = checkBool(warmup, "warmup");
    this.params = [...params];
    // The averages are float32 whatever the params' dtype (16-bit params are widened exactly).
    this.shadow = params.map((p) => stateTensor(p.device, p.shape) as Tensor);
    castInto(this.shadow, this.params);
  }

  /** The decay the next update uses. */
  currentDecay(): number {
    return this.warmup ? Math.min(this.decay, (1 + this.updates) / (10 + this.updates)) : this.decay;
  }

  update(): void {
    this.params.forEach((p, i) => p.assertLive(`params[${i}]`));
    native.optimizerStep(
      "ema",
      [this.shadow.map((s) => s.native), this.params.map((p) => p.native)],
      this.params.map(() => this.updates + 1),
      this.params.map(() => false),
      { weight: 1 - this.currentDecay() },
    );
    this.updates += 1;
  }

  /** Writes the averages into `params` (default: the tracked params). */
  copyTo(params: Tensor[] = this.params): void {
    if (params.length !== this.shadow.length) fail("ERR_INVALID_ARGUMENT", `params: expected ${this.shadow.length} tensors`);
    castInto(params, this.shadow);
  }

  /** Exchanges params and averages; swap again to restore. */
  swap(): void {
    const half = this.params.findIndex((p) => isHalf(p.dtype));
    if (half >= 0) {
      fail("ERR_DTYPE", `swap: params[${half}] is ${this.params[half]!.dtype}: the float32 averages would come back rounded; use copyTo() (and keep the params elsewhere)`);
    }
    this.params.forEach((p, i) => {
      const s = this.shadow[i]!;
      const held = p.toArray();
      p.set(s);
      s.set(held);
    });
  }

  stateDict(): EMAState {
    return { decay: this.decay, warmup: this.warmup, updates: this.updates, shadow: this.shadow.map((s) => s.toArray()) };
  }

  /** Throws ERR_STATE_DICT unless loadStateDict(state) would succeed; changes nothing. */
  checkStateDict(state: EMAState): void {
    const bad = (w: string): never => fail("ERR_STATE_DICT", `loadStateDict: ${w}`);
    if (typeof state !== "object" || state === null) bad("expected an object from stateDict()");
    for (const k of Object.keys(state)) if (!["decay", "warmup", "updates", "shadow"].includes(k)) bad(`${k}: not part of an EMA's state`);
    if (typeof state.decay !== "number" || !(state.decay >= 0 && state.decay <= 1)) bad(`decay: expected a number in [0, 1], got ${String(state.decay)}`);
    if (typeof state.warmup !== "boolean") bad(`warmup: expected a boolean, got ${String(state.warmup)}`);
    if (!Number.isSafeInteger(state.updates) || state.updates < 0) bad("updates: expected a whole number >= 0");
    if (!Array.isArray(state.shadow) || state.shadow.length !== this.shadow.length) bad(`shadow: expected ${this.shadow.length} arrays`);
    state.shadow.forEach((a, i) => {
      if (!(a instanceof Float32Array) || a.length !== this.shadow[i]!.numel) {
        bad(`shadow[${i}]: expected a Float32Array of ${this.shadow[i]!.numel} values (shape ${formatShape(this.shadow[i]!.shape)})`);
      }
    });
    this.shadow.forEach((s, i) => s.assertLive(`shadow[${i}]`));
  }

  loadStateDict(state: EMAState): void {
    this.checkStateDict(state);
    state.shadow.forEach((a, i) => this.shadow[i]!.set(a));
    this.updates = state.updates;
    this.#decay = state.decay;
    this.#warmup = state.warmup;
  }

  free(): void {
    for (const s of this.shadow) s.free();
  }
}
