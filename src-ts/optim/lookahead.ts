// src-ts/optim/lookahead.ts — Lookahead (Zhang, Lucas, Hinton & Ba 2019, "Lookahead Optimizer:
// k steps forward, 1 step back"), a wrapper over any cuoptim optimizer.
//
// The inner optimizer moves the fast weights θ (the params themselves); every k of its applied
// steps the slow weights φ (a device copy of each param, taken when the param is first seen)
// move toward them and the fast weights restart from there:
//   φ ← φ + α(θ − φ);  θ ← φ
// one fused element-wise kernel over every param (kernels/math/lookahead.cuh). Steps the inner
// optimizer skips (a non-finite gradient) do not count toward k. Defaults are the paper's: k 5,
// α 0.5. paramGroups are the inner optimizer's, so lr schedulers drive it through the wrapper.
import { fail } from "../errors.js";
import { native } from "../native.js";
import { castInto } from "./precision.js";
import { formatShape, stateTensor, type Tensor } from "../tensor.js";
import { checkNumber, optionsObject } from "../validate.js";
import type { Optimizer, StateDict, StepOptions, StepResult } from "./optimizer.js";

/** Options of Lookahead. */
export interface LookaheadOptions {
  /** Inner steps between synchronisations, >= 1. Default: 5. */
  k: number;
  /** How far the slow weights move toward the fast ones, in [0, 1]. Default: 0.5. */
  alpha: number;
}

/** Lookahead's state: the inner optimizer's and the slow weights. */
export interface LookaheadStateDict<O> {
  inner: StateDict<O>;
  /** Slow weights by param index (inner param order). */
  slow: Record<number, Float32Array>;
  /** Applied inner steps since the last synchronisation. */
  stepsSinceSync: number;
  k: number;
  alpha: number;
}

/** Lookahead (Zhang et al. 2019) around any optimizer: every k inner steps the slow weights move alpha of the way to the fast ones, and the fast weights restart from them. */
export class Lookahead<O extends object> {
  readonly optimizer: Optimizer<O>;
  readonly k: number;
  readonly alpha: number;
  /** Applied inner steps since the last synchronisation. */
  stepsSinceSync = 0;
  readonly #slow = new Map<Tensor, Tensor>();

  constructor(optimizer: Optimizer<O>, options?: Partial<LookaheadOptions>) {
    const { k = 5, alpha = 0.5 } = optionsObject(options);
    if (!optimizer || typeof (optimizer as { step?: unknown }).step !== "function" || !Array.isArray(optimizer.paramGroups)) {
      fail("ERR_INVALID_ARGUMENT", "optimizer: expected a cuoptim optimizer to wrap");
    }
    this.k = checkNumber(k, "k", { min: 1, integer: true });
    this.alpha = checkNumber(alpha, "alpha", { min: 0, max: 1 });
    // Synchronising writes the fast weights, which masters would overwrite at the next step.
    if (optimizer.precision?.masterWeights) fail("ERR_INVALID_ARGUMENT", "optimizer: Lookahead cannot wrap an optimizer with masterWeights (the synchronised weights would not reach its masters)");
    this.optimizer = optimizer;
    this.adoptNewParams();
  }

  get paramGroups(): Optimizer<O>["paramGroups"] {
    return this.optimizer.paramGroups;
  }

  get defaults(): Readonly<O> {
    return this.optimizer.defaults;
  }

  /**
   * One inner step; every k-th applied one is followed by the slow/fast synchronisation. A step
   * in which no param has a gradient moves nothing and does not count towards k.
   */
  step(options: StepOptions = {}): StepResult {
    this.adoptNewParams();
    const anyGrad = this.optimizer.params().some((p) => p.grad !== null);
    const result = this.optimizer.step(options);
    if (!result.applied || !anyGrad) return result;
    this.stepsSinceSync += 1;
    if (this.stepsSinceSync >= this.k) {
      this.synchronize();
      this.stepsSinceSync = 0;
    }
    return result;
  }

  zeroGrad(options?: { setToNone?: boolean }): void {
    this.optimizer.zeroGrad(options);
  }

  /** The slow weights of a param (a live device tensor owned by this wrapper). */
  slowWeights(param: Tensor): Tensor | undefined {
    return this.#slow.get(param);
  }

  /** Frees the slow weights and the inner optimizer's state. */
  free(): void {
    for (const t of this.#slow.values()) t.free();
    this.#slow.clear();
    this.optimizer.free();
  }

  stateDict(): LookaheadStateDict<O> {
    const slow: Record<number, Float32Array> = {};
    this.optimizer.params().forEach((p, i) => {
      const s = this.#slow.get(p);
      if (s) slow[i] = s.toArray() as Float32Array;
    });
    return { inner: this.optimizer.stateDict(), slow, stepsSinceSync: this.stepsSinceSync, k: this.k, alpha: this.alpha };
  }

  /** Throws ERR_STATE_DICT unless loadStateDict(dict) would succeed; changes nothing. */
  checkStateDict(dict: LookaheadStateDict<O>): void {
    this.#validate(dict);
  }

  /** Loads a stateDict(): everything is checked (the inner state included) before anything changes. */
  loadStateDict(dict: LookaheadStateDict<O>): void {
    const staged = this.#validate(dict);
    const tensors = new Map([...staged].map(([p, v]) => [p, stateTensor(p.device, p.shape).set(v)] as const));
    try {
      this.optimizer.loadStateDict(dict.inner);
    } catch (e) {
      for (const t of tensors.values()) t.free();
      throw e;
    }
    for (const t of this.#slow.values()) t.free();
    this.#slow.clear();
    for (const [p, t] of tensors) this.#slow.set(p, t);
    this.stepsSinceSync = dict.stepsSinceSync;
  }

  /** Every rule of loadStateDict, the inner optimizer's included; returns the slow weights by param. */
  #validate(dict: LookaheadStateDict<O>): Map<Tensor, Float32Array> {
    const fault = (msg: string): never => fail("ERR_STATE_DICT", `loadStateDict: ${msg}`);
    if (typeof dict !== "object" || dict === null) fault("expected an object with inner, slow, stepsSinceSync, k and alpha");
    const { slow, stepsSinceSync, k, alpha } = dict;
    if (k !== this.k || alpha !== this.alpha) fault(`k and alpha: this Lookahead has k=${this.k}, alpha=${this.alpha}; the dict has k=${String(k)}, alpha=${String(alpha)}`);
    if (typeof stepsSinceSync !== "number" || !Number.isInteger(stepsSinceSync) || stepsSinceSync < 0 || stepsSinceSync >= this.k) {
      fault(`stepsSinceSync: expected a whole number in [0, ${this.k - 1}], got ${String(stepsSinceSync)}`);
    }
    if (typeof slow !== "object" || slow === null || Array.isArray(slow)) fault("slow: expected an object keyed by param index");
    const params = this.optimizer.params();
    const staged = new Map<Tensor, Float32Array>();
    for (const [key, values] of Object.entries(slow)) {
      const id = Number(key);
      if (!Number.isInteger(id) || id < 0 || id >= params.length) fault(`slow: key ${JSON.stringify(key)} is not a param index below ${params.length}`);
      const p = params[id]!;
      if (!(values instanceof Float32Array) || values.length !== p.numel) {
        fault(`slow[${id}]: expected a Float32Array of ${p.numel} values (shape ${formatShape(p.shape)})`);
      }
      staged.set(p, values);
    }
    for (const [i, p] of params.entries()) if (!staged.has(p)) fault(`slow[${i}]: missing (every param has slow weights)`);
    this.optimizer.checkStateDict(dict.inner);
    return staged;
  }

  /** Slow weights for params the inner optimizer gained since (a copy of their current values). */
  private adoptNewParams(): void {
    for (const p of this.optimizer.params()) {
      if (!this.#slow.has(p)) {
        p.assertLive("optimizer param");
        const slow = stateTensor(p.device, p.shape) as Tensor;
        castInto([slow], [p]);
        this.#slow.set(p, slow);
      }
    }
  }

  private synchronize(): void {
    const params = this.optimizer.params();
    native.optimizerStep(
      "lookahead",
      [params.map((p) => p.native), null, params.map((p) => this.#slow.get(p)!.native)],
      params.map(() => 1),
      params.map(() => false),
      { alpha: this.alpha },
    );
  }
}
