// src-ts/optim/adam8bit.ts — 8-bit blockwise Adam, AdamW, Lion and AdEMAMix with bitsandbytes'
// semantics (Dettmers et al. 2022, "8-bit Optimizers via Block-wise Quantization"; bitsandbytes'
// Adam8bit / AdamW8bit / Lion8bit / AdEMAMix8bit).
//
// Each state tensor is stored as one byte per element (an index into a 256-entry dynamic map,
// kernels/math/quant8.cuh) plus one float absmax per block of blockSize elements: about 2 bytes
// per param for Adam instead of 8. One fused pass per block dequantizes, updates in f32, finds
// the block's new absmax and requantizes. Params with fewer than min8bitSize elements keep 32-bit
// state, as bitsandbytes does; as there, that choice and the block size are made once per param,
// when its state is made. Adam8bit and AdamW8bit are the same algorithm — weight decay is
// decoupled and applied after the step, as in bitsandbytes' kernel — with defaults 0 and 1e-2.
// A non-finite gradient element leaves its param as it was and zeroes that element's state.
//
// State dicts use bitsandbytes' names: state1/state2 (uint8 codes, or float32 below
// min8bitSize), absmax1/absmax2, and qmap1/qmap2 (the maps; they must be cuoptim's own when
// loaded). AdEMAMix8bit's slow EMA, which bitsandbytes packs behind state1, is state3 / absmax3 /
// qmap3 (the signed map).
import { fail } from "../errors.js";
import { native, type BlockwiseOp } from "../native.js";
import { dynamicMap } from "../quant.js";
import type { Tensor } from "../tensor.js";
import { checkBetas, checkNumber } from "../validate.js";
import { checkAdemamixOptions, type AdEMAMixOptions } from "./ademamix.js";
import { Optimizer, type CommonOptions, type ParamState, type ParamsInput, type StateDict, type StateSpec, type StepContext, type UpdateItem } from "./optimizer.js";
import { labelled, runElementwise, storageOptions } from "./run.js";

interface Blockwise8bitOptions {
  /** the learning rate γ, >= 0. Default: 1e-3 (Adam8bit, AdamW8bit), 1e-4 (Lion8bit). */
  lr: number;
  /** the moment decays, each in [0, 1). Default: [0.9, 0.999] (Adam), [0.9, 0.99] (Lion). */
  betas: number[];
  /** λ, >= 0: L2 (Adam8bit) or decoupled (AdamW8bit, Lion8bit). Default: 0 (AdamW8bit: 1e-2). */
  weightDecay: number;
  /** Elements per quantization block: a power of two from 64 to 4096 (bitsandbytes: 256). */
  blockSize: number;
  /** Params with fewer elements keep 32-bit state (bitsandbytes' min_8bit_size). */
  min8bitSize: number;
}

/** Options of Adam8bit and AdamW8bit (bitsandbytes' blockwise 8-bit Adam). */
export interface Adam8bitOptions extends Blockwise8bitOptions {
  /** [β1, β2], each in [0, 1). Default: [0.9, 0.999]. */
  betas: [number, number];
  /** ε added to the denominator, >= 0. Default: 1e-8. */
  eps: number;
}
/** Options of Lion8bit (bitsandbytes' blockwise 8-bit Lion). */
export interface LionOptions8bit extends Blockwise8bitOptions {
  /** [β1, β2], each in [0, 1). Default: [0.9, 0.99]. */
  betas: [number, number];
}

function checkBlockwiseOptions(o: Blockwise8bitOptions, where: string): void {
  checkNumber(o.lr, `${where}.lr`, { min: 0 });
  checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
  const b = checkNumber(o.blockSize, `${where}.blockSize`, { min: 64, max: 4096, integer: true });
  if ((b & (b - 1)) !== 0) fail("ERR_RANGE", `${where}.blockSize: expected a power of two from 64 to 4096, got ${b}`);
  checkNumber(o.min8bitSize, `${where}.min8bitSize`, { min: 0, integer: true });
}

/** The quantized states' names, and whether each uses the signed map (m1, ν, m2 for AdEMAMix8bit). */
const STATE_NAMES = ["state1", "state2", "state3"];
const QMAP_SIGNED = [true, false, true];

/** How a param's 8-bit optimizer state is laid out, fixed when the state is made. */
interface Layout {
  quantized: boolean;
  blockSize: number;
}

abstract class Blockwise8bit<O extends Blockwise8bitOptions> extends Optimizer<O> {
  /** The native 8-bit op, its state count, and the element-wise op for small params. */
  protected abstract readonly op: BlockwiseOp;
  protected abstract readonly stateCount: 1 | 2 | 3;

  // bitsandbytes fixes a param's state layout once, when the state is made: a later change of
  // min8bitSize or blockSize applies to state made afterwards (new params, loaded state), never
  // to state that exists, which keeps its kind and block size.
  readonly #layout = new WeakMap<ParamState, Layout>();
  // While loadStateDict runs: each loaded param's layout, from the entry being loaded.
  #loading: Map<Tensor, Layout> | null = null;

  private layoutOf(param: Tensor, o: O): Layout {
    const loading = this.#loading?.get(param);
    if (loading) return loading;
    const state = this.state.get(param);
    const known = state && this.#layout.get(state);
    if (known) return known;
    const layout = { quantized: param.numel >= o.min8bitSize, blockSize: o.blockSize };
    if (state && !this.#loading) this.#layout.set(state, layout);
    return layout;
  }

  protected stateSpec(param: Tensor, o: O): StateSpec {
    const names = STATE_NAMES.slice(0, this.stateCount);
    const spec: StateSpec = {};
    const { quantized, blockSize } = this.layoutOf(param, o);
    if (quantized) {
      const blocks = [Math.ceil(param.numel / blockSize)];
      names.forEach((n, k) => {
        spec[n] = { dtype: "uint8", shape: param.shape };
        spec[`absmax${k + 1}`] = { dtype: "float32", shape: blocks };
      });
    } else {
      for (const n of names) spec[n] = { dtype: "float32", shape: param.shape };
    }
    return spec;
  }

  /** The 8-bit kernels (and the small params' element-wise ones) take 16-bit params and grads. */
  protected override get kernels16(): boolean {
    return true;
  }
  /** The state is 8-bit (or, for small params, float32): stateDtype "param" does not apply. */
  protected override get stateDtypeParam(): boolean {
    return false;
  }

  /** The small params' 32-bit update. */
  protected abstract applySmall(o: O, items: UpdateItem[], ctx: StepContext): void;
  protected abstract nativeOptions(o: O): Record<string, number | boolean>;

  protected applyUpdate(o: O, items: UpdateItem[], ctx: StepContext): void {
    // One native call per block size (state made under different blockSize options).
    const byBlock = new Map<number, UpdateItem[]>();
    const small: UpdateItem[] = [];
    for (const it of items) {
      const { quantized, blockSize } = this.layoutOf(it.param, o);
      if (!quantized) small.push(it);
      else if (byBlock.has(blockSize)) byBlock.get(blockSize)!.push(it);
      else byBlock.set(blockSize, [it]);
    }
    const k = [...STATE_NAMES.slice(0, this.stateCount), ...STATE_NAMES.slice(0, this.stateCount).map((_, i) => `absmax${i + 1}`)];
    for (const [blockSize, big] of byBlock) {
      labelled(big, () =>
        native.optimizer8bitStep(
          this.op,
          [
            big.map((it) => it.param.native),
            big.map((it) => it.grad.native),
            ...k.map((n) => big.map((it) => it.state.tensors[n]!.native)),
            // 16-bit params with master weights: the masters (src-native/quant_ops.cc)
            ...(big[0]!.state.tensors.master ? [big.map((it) => it.state.tensors.master!.native)] : []),
          ],
          big.map((it) => it.state.step),
          { ...this.nativeOptions(o), blockSize, gradScale: ctx.gradScale },
          storageOptions(big, ctx),
        ),
      );
    }
    if (small.length) this.applySmall(o, small, ctx);
  }

  /** torch-shaped, plus bitsandbytes' qmap1/qmap2 for each quantized param. */
  override stateDict(): StateDict<O> {
    const dict = super.stateDict();
    const maps = QMAP_SIGNED.map((signed) => dynamicMap({ signed }));
    for (const entry of Object.values(dict.state)) {
      if (entry.state1 instanceof Uint8Array) {
        for (let k = 0; k < this.stateCount; k++) (entry as Record<string, unknown>)[`qmap${k + 1}`] = maps[k]!.slice();
      }
    }
    return dict;
  }

  /** Checks each qmap is cuoptim's dynamic map, then loads the rest as usual. */
  override loadStateDict(dict: StateDict<O>): void {
    const maps = QMAP_SIGNED.map((signed) => dynamicMap({ signed }));
    const stripped = { ...(dict as object) } as StateDict<O>;
    if (dict && typeof dict === "object" && dict.state && typeof dict.state === "object") {
      stripped.state = {};
      for (const [id, entry] of Object.entries(dict.state)) {
        if (!entry || typeof entry !== "object") {
          (stripped.state as Record<string, unknown>)[id] = entry;
          continue;
        }
        const { qmap1, qmap2, qmap3, ...rest } = entry as Record<string, unknown>;
        [qmap1, qmap2, qmap3].forEach((q, k) => {
          if (q === undefined) return;
          const ours = maps[k]!;
          const same = q instanceof Float32Array && q.length === ours.length && q.every((v, i) => Object.is(v, ours[i]));
          if (!same) fail("ERR_STATE_DICT", `loadStateDict: state[${id}].qmap${k + 1}: expected cuoptim's ${QMAP_SIGNED[k] ? "signed" : "unsigned"} dynamic map (custom maps are not supported)`);
        });
        (stripped.state as Record<string, unknown>)[id] = rest;
      }
    }
    // Each entry is loaded with its own kind (8-bit codes or float32) and its group's blockSize.
    const params = this.params();
    const optionsOf = new Map<Tensor, O>();
    for (const g of this.paramGroups) for (const p of g.params) optionsOf.set(p, g);
    const dictBlockSize = new Map<number, unknown>();
    if (dict && Array.isArray(dict.paramGroups)) {
      for (const g of dict.paramGroups) if (g && Array.isArray(g.params)) for (const id of g.params) dictBlockSize.set(id, (g as Partial<O>).blockSize);
    }
    // The dict's group blockSize, unless the entry's absmax count shows its state was made with
    // another one: distinct block sizes give distinct counts, except when one block holds the
    // whole tensor, where every size >= numel steps alike.
    const blockSizeIn = (id: number, absmax: unknown): number => {
      const b = dictBlockSize.get(id);
      const group = typeof b === "number" ? b : optionsOf.get(params[id]!)!.blockSize;
      const numel = params[id]!.numel;
      if (!(absmax instanceof Float32Array) || absmax.length === Math.ceil(numel / group)) return group;
      for (let size = 64; size <= 4096; size *= 2) if (Math.ceil(numel / size) === absmax.length) return size;
      return group;
    };
    const loading = new Map<Tensor, Layout>();
    for (const [id, entry] of Object.entries(stripped.state ?? {})) {
      const param = /^(0|[1-9][0-9]*)$/.test(id) ? params[Number(id)] : undefined;
      const state1 = (entry as Record<string, unknown> | null)?.state1;
      if (param && (state1 instanceof Uint8Array || state1 instanceof Float32Array)) {
        const absmax1 = (entry as Record<string, unknown>).absmax1;
        loading.set(param, { quantized: state1 instanceof Uint8Array, blockSize: blockSizeIn(Number(id), absmax1) });
      }
    }
    this.#loading = loading;
    try {
      super.loadStateDict(stripped);
    } finally {
      this.#loading = null;
    }
    if (this.checkingOnly) return;
    for (const [param, layout] of loading) {
      const state = this.state.get(param);
      if (state) this.#layout.set(state, layout);
    }
  }
}

const ADAM8BIT_DEFAULTS: Adam8bitOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, blockSize: 256, min8bitSize: 4096 };

abstract class Adam8bitBase extends Blockwise8bit<Adam8bitOptions> {
  protected readonly op = "adam8bit" as const;
  protected readonly stateCount = 2 as const;

  protected checkOptions(o: Adam8bitOptions, where: string): void {
    checkBlockwiseOptions(o, where);
    checkBetas(o.betas, `${where}.betas`, 2);
    checkNumber(o.eps, `${where}.eps`, { min: 0 });
  }

  protected nativeOptions(o: Adam8bitOptions): Record<string, number | boolean> {
    return { lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weightDecay };
  }

  protected applySmall(o: Adam8bitOptions, items: UpdateItem[], ctx: StepContext): void {
    runElementwise("adam_bnb32", this.nativeOptions(o), items, ctx);
  }
}

/** bitsandbytes' Adam8bit: weight decay 0 by default (decoupled when set). */
export class Adam8bit extends Adam8bitBase {
  constructor(params: ParamsInput<Adam8bitOptions>, options: Partial<Adam8bitOptions> & CommonOptions = {}) {
    super(params, ADAM8BIT_DEFAULTS, options);
  }
}

/** bitsandbytes' AdamW8bit: weight decay 1e-2, decoupled. */
export class AdamW8bit extends Adam8bitBase {
  constructor(params: ParamsInput<Adam8bitOptions>, options: Partial<Adam8bitOptions> & CommonOptions = {}) {
    super(params, { ...ADAM8BIT_DEFAULTS, weightDecay: 1e-2 }, options);
  }
}

const LION8BIT_DEFAULTS: LionOptions8bit = { lr: 1e-4, betas: [0.9, 0.99], weightDecay: 0, blockSize: 256, min8bitSize: 4096 };

/** bitsandbytes' Lion8bit: the Lion update with its moment in 8 bits (about 1 byte per param). */
export class Lion8bit extends Blockwise8bit<LionOptions8bit> {
  protected readonly op = "lion8bit" as const;
  protected readonly stateCount = 1 as const;

  constructor(params: ParamsInput<LionOptions8bit>, options: Partial<LionOptions8bit> & CommonOptions = {}) {
    super(params, LION8BIT_DEFAULTS, options);
  }

  protected checkOptions(o: LionOptions8bit, where: string): void {
    checkBlockwiseOptions(o, where);
    checkBetas(o.betas, `${where}.betas`, 2, { min: 0, max: 1 });
  }

  protected nativeOptions(o: LionOptions8bit): Record<string, number | boolean> {
    return { lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], weightDecay: o.weightDecay };
  }

  protected applySmall(o: LionOptions8bit, items: UpdateItem[], ctx: StepContext): void {
    runElementwise("lion", { ...this.nativeOptions(o), maximize: false }, items, ctx, { stateNames: ["state1"] });
  }
}

/** Options of AdEMAMix8bit: AdEMAMix's, plus the 8-bit block layout. */
export type AdEMAMix8bitOptions = AdEMAMixOptions & Pick<Blockwise8bitOptions, "blockSize" | "min8bitSize">;

const ADEMAMIX8BIT_DEFAULTS: AdEMAMix8bitOptions = { lr: 1e-3, betas: [0.9, 0.999, 0.9999], alpha: 5, tAlpha: null, tBeta3: null, eps: 1e-8, weightDecay: 1e-2, blockSize: 256, min8bitSize: 4096 };

/**
 * bitsandbytes' AdEMAMix8bit: AdEMAMix (src-ts/optim/ademamix.ts) with m1, ν and m2 in 8 bits
 * (about 3 bytes per param): state1 (m1), state2 (ν), state3 (m2). Params below min8bitSize use
 * the 32-bit AdEMAMix kernel, as bitsandbytes does.
 */
export class AdEMAMix8bit extends Blockwise8bit<AdEMAMix8bitOptions> {
  protected readonly op = "ademamix8bit" as const;
  protected readonly stateCount = 3 as const;

  constructor(params: ParamsInput<AdEMAMix8bitOptions>, options: Partial<AdEMAMix8bitOptions> & CommonOptions = {}) {
    super(params, ADEMAMIX8BIT_DEFAULTS, options);
  }

  protected checkOptions(o: AdEMAMix8bitOptions, where: string): void {
    checkBlockwiseOptions(o, where);
    checkAdemamixOptions(o, where);
  }

  protected nativeOptions(o: AdEMAMix8bitOptions): Record<string, number | boolean> {
    const [beta1, beta2, beta3] = o.betas;
    return { lr: o.lr, beta1, beta2, beta3, alpha: o.alpha, tAlpha: o.tAlpha ?? 0, tBeta3: o.tBeta3 ?? 0, eps: o.eps, weightDecay: o.weightDecay };
  }

  protected applySmall(o: AdEMAMix8bitOptions, items: UpdateItem[], ctx: StepContext): void {
    runElementwise("ademamix", this.nativeOptions(o), items, ctx, { stateNames: ["state1", "state3", "state2"] });
  }
}
