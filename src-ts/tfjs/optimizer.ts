// src-ts/tfjs/optimizer.ts — cuoptim behind TensorFlow.js: a tf.Optimizer subclass that runs any
// cuoptim optimizer (with an optional LLM schedule, global-norm clipping, Lookahead and EMA) on
// its own device copies of the variables, and writes the updated values back.
//
// Each applyGradients(): the variables' current values and the gradients are copied into
// cuoptim tensors (tfjs owns the values, so setWeights/assign from outside are always seen), one
// fused step runs, the schedule advances, and every variable is assigned its new value. State
// lives in cuoptim; getWeights() exports it as named tensors (iterations first, as tfjs does) plus
// one JSON record, so model.save({includeOptimizer}) and setWeights() round-trip it. Like tfjs's
// own optimizers, restored state is matched to variables by position: the order of the first
// applyGradients() call.
import * as tf from "@tensorflow/tfjs";
import { decodeTree, encodeTree, type TreeTensor } from "../checkpoint/state_tree.js";
import { resolveDevice, type Device, type DeviceInput } from "../device.js";
import { EMA } from "../ema.js";
import { CuoptimError, fail } from "../errors.js";
import type { MultiplierSchedule } from "../lr/llm.js";
import { Lookahead } from "../optim/lookahead.js";
import type { Optimizer } from "../optim/optimizer.js";
import { isHalf, tensor, type FloatDType, type Tensor } from "../tensor.js";
import { checkBool, checkNumber } from "../validate.js";
import { OPTIMIZERS, SCHEDULES, type TfjsOptimizerName, type TfjsOptimizerOptions, type TfjsScheduleName, type TfjsScheduleOptions } from "./registry.js";

/** What every `CuoptimOptimizer` config has, whichever optimizer it names. */
export interface CuoptimTfjsCommonConfig {
  /** where the optimizer runs (default "auto": cuda when available, else cpu) */
  device?: DeviceInput;
  /** clip the gradients' global norm to this, fused into the step (non-finite steps are skipped); default: no clipping */
  maxGradNorm?: number;
  /** an LLM schedule from cuoptim's lr namespace, stepped after every step; default: none (constant lr) */
  schedule?: { [S in TfjsScheduleName]: { name: S; options: TfjsScheduleOptions[S] } }[TfjsScheduleName];
  /** Lookahead around the optimizer (k default 5, alpha default 0.5); default: none */
  lookahead?: { k?: number; alpha?: number };
  /** an EMA of the weights (see withAverages; decay default 0.9999); default: none */
  ema?: { decay?: number; warmup?: boolean };
  /** variables whose names match this regular expression get weightDecay 0 (norms, biases); default: none */
  noDecay?: string;
  /**
   * The dtype of the optimizer's own copies of the variables and their gradients (default
   * "float32"). "bfloat16" / "float16" keep them in 16 bits with float32 master weights in the
   * optimizer state (masterWeights), as mixed-precision training does; the variables (float32,
   * tfjs has no 16-bit dtype) receive the rounded params after each step. Change the variables
   * through the optimizer only: an outside change reaches the params, not the masters.
   */
  paramDtype?: FloatDType;
}

/**
 * A `CuoptimOptimizer` config: an optimizer's name and that optimizer's own options type, so a
 * misspelled name or option is a compile error (`{ optimizer: "AdamW", options: { lr: 3e-4 } }`).
 */
export type CuoptimTfjsConfig = {
  [K in TfjsOptimizerName]: CuoptimTfjsCommonConfig & {
    /** a cuoptim optimizer's name (required): "AdamW", "Adam", "SGD", "Lion", "AdamW8bit", "Adafactor", ... */
    optimizer: K;
    /** its options, as its constructor takes them (default: that optimizer's defaults) */
    options?: TfjsOptimizerOptions[K];
  };
}[TfjsOptimizerName];

interface Slot {
  name: string;
  variable: tf.Variable;
  param: Tensor;
  grad: Tensor;
}

const STATE_NAME = "cuoptim/state";

/** cuoptim as a TensorFlow.js optimizer (a tf.Optimizer for model.compile / fit / minimize): any cuoptim optimizer, with an optional schedule, fused clipping, Lookahead, EMA and 16-bit params, on any backend. */
export class CuoptimOptimizer extends tf.Optimizer {
  static get className(): string {
    return "CuoptimOptimizer";
  }

  readonly config: CuoptimTfjsConfig;
  readonly #device: Device;
  readonly #noDecay: RegExp | null;
  #slots: Slot[] = [];
  readonly #byName = new Map<string, Slot>();
  #optimizer: Optimizer<object> | Lookahead<object> | null = null;
  #schedule: MultiplierSchedule | null = null;
  #ema: EMA | null = null;
  /** State from setWeights() waiting for the variables it belongs to. */
  #pending: RestoredState | null = null;

  constructor(config: CuoptimTfjsConfig) {
    super();
    if (typeof config !== "object" || config === null) fail("ERR_INVALID_ARGUMENT", "config: expected {optimizer, options, ...}");
    const known = ["optimizer", "options", "device", "maxGradNorm", "schedule", "lookahead", "ema", "noDecay", "paramDtype"];
    for (const k of Object.keys(config)) if (!known.includes(k)) fail("ERR_INVALID_ARGUMENT", `config.${k}: unknown (known: ${known.join(", ")})`);
    if (!OPTIMIZERS[config.optimizer]) fail("ERR_INVALID_ARGUMENT", `config.optimizer: expected one of ${Object.keys(OPTIMIZERS).join(", ")}, got ${JSON.stringify(config.optimizer)}`);
    if (config.maxGradNorm !== undefined) checkNumber(config.maxGradNorm, "config.maxGradNorm", { min: 0, minOpen: true });
    if (config.schedule !== undefined && !SCHEDULES[config.schedule?.name]) {
      fail("ERR_INVALID_ARGUMENT", `config.schedule.name: expected one of ${Object.keys(SCHEDULES).join(", ")}, got ${JSON.stringify(config.schedule?.name)}`);
    }
    if (config.ema?.warmup !== undefined) checkBool(config.ema.warmup, "config.ema.warmup");
    if (config.paramDtype !== undefined && !["float32", "bfloat16", "float16"].includes(config.paramDtype)) {
      fail("ERR_DTYPE", `config.paramDtype: expected "float32", "bfloat16" or "float16", got ${JSON.stringify(config.paramDtype)}`);
    }
    this.#noDecay = config.noDecay === undefined ? null : regExp(config.noDecay, "config.noDecay");
    this.#device = resolveDevice(config.device, "config.device");
    this.config = structuredClone(config);
    // Build (and drop) the whole stack once over a probe tensor: every option is checked now, and
    // an error names its place in the config (config.schedule.options.totalSteps).
    const probe = tensor(new Float32Array(1), [1], { device: this.#device, dtype: this.#dtype });
    try {
      const built = this.#build([probe], [], true);
      built.ema?.free();
      built.optimizer.free();
    } finally {
      probe.free();
    }
  }

  get #dtype(): FloatDType {
    return this.config?.paramDtype ?? "float32";
  }

  /** The cuoptim optimizer behind this adapter (null before the first step). */
  get optimizer(): Optimizer<object> | Lookahead<object> | null {
    return this.#optimizer;
  }

  /** The schedule's current lr of each group (the options' lr when there is no schedule). */
  get lr(): number[] {
    return (this.#optimizer?.paramGroups ?? []).map((g) => (g as { lr?: number }).lr ?? NaN);
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    if (typeof variableGradients !== "object" || variableGradients === null) {
      fail("ERR_INVALID_ARGUMENT", "applyGradients: expected a {name: gradient} map or [{name, tensor}] list");
    }
    const grads: [string, tf.Tensor][] = Array.isArray(variableGradients)
      ? variableGradients.map((v, i) => {
          if (typeof v !== "object" || v === null) fail("ERR_INVALID_ARGUMENT", `applyGradients: variableGradients[${i}]: expected {name, tensor}, got ${v === null ? "null" : typeof v}`);
          return [v.name, v.tensor];
        })
      : Object.entries(variableGradients);
    const present = grads.filter(([, g]) => g != null);
    if (present.length === 0) {
      fail("ERR_INVALID_ARGUMENT", `applyGradients: every gradient is null or undefined (${grads.length} given), so there is nothing to update: a variable the loss does not depend on gets a null gradient from tf.variableGrads`);
    }
    // Check everything before anything changes.
    const registered = tf.engine().registeredVariables;
    for (const [name, g] of present) {
      const v = registered[name];
      if (!v) fail("ERR_INVALID_ARGUMENT", `applyGradients: "${name}" is not a registered tfjs variable`);
      if (v.dtype !== "float32" || g.dtype !== "float32") fail("ERR_DTYPE", `applyGradients: "${name}": expected float32 variable and gradient`);
      if (g.shape.length !== v.shape.length || g.shape.some((d, i) => d !== v.shape[i])) {
        fail("ERR_SHAPE", `applyGradients: the gradient of "${name}" has shape [${g.shape.join(", ")}], the variable [${v.shape.join(", ")}]`);
      }
    }
    const fresh = present.filter(([name]) => !this.#byName.has(name)).map(([name]) => name);
    if (fresh.length && this.#optimizer && this.#schedule) {
      fail("ERR_INVALID_ARGUMENT", `applyGradients: variable "${fresh[0]}" first appears after the first step; with a schedule every trained variable must take part in the first step`);
    }
    this.#adopt(fresh.map((name) => registered[name]!));

    for (const slot of this.#slots) {
      slot.param.set(slot.variable.dataSync() as Float32Array);
      slot.param.grad = null;
    }
    for (const [name, g] of present) {
      const slot = this.#byName.get(name)!;
      slot.grad.set(g.dataSync() as Float32Array);
      slot.param.grad = slot.grad;
    }
    const result = this.#optimizer!.step(this.config.maxGradNorm === undefined ? {} : { maxGradNorm: this.config.maxGradNorm });
    // A skipped step (a non-finite gradient) is not an iteration: the variables, the EMA, the
    // schedule and `iterations` all stay where they were.
    if (!result.applied) return;
    this.#ema?.update();
    for (const slot of this.#slots) tf.tidy(() => slot.variable.assign(tf.tensor(slot.param.toArray(), slot.variable.shape, "float32")));
    this.#schedule?.step();
    this.incrementIterations();
  }

  /** Runs fn with the EMA averages in the variables, then puts the trained values back. */
  withAverages<T>(fn: () => T): T {
    if (!this.#ema) return fail("ERR_INVALID_ARGUMENT", "withAverages: this optimizer keeps no EMA (config.ema)");
    const held = this.#slots.map((s) => s.variable.dataSync().slice() as Float32Array);
    this.#slots.forEach((s, i) => tf.tidy(() => s.variable.assign(tf.tensor(this.#ema!.shadow[i]!.toArray(), s.variable.shape, "float32"))));
    try {
      return fn();
    } finally {
      this.#slots.forEach((s, i) => tf.tidy(() => s.variable.assign(tf.tensor(held[i]!, s.variable.shape, "float32"))));
    }
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const weights = [await this.saveIterations()];
    if (!this.#optimizer) return weights;
    const tensors: TreeTensor[] = [];
    const tree = encodeTree(
      { optimizer: this.#optimizer.stateDict(), schedule: this.#schedule?.stateDict() ?? null, ema: this.#ema?.stateDict() ?? null, variables: this.#slots.length },
      "cuoptim",
      tensors,
    );
    const u8 = tensors.filter((t) => t.data instanceof Uint8Array).map((t) => t.name);
    for (const t of tensors) {
      const values = t.data instanceof Uint8Array ? Int32Array.from(t.data) : t.data;
      weights.push({ name: t.name, tensor: tf.tensor(values, [values.length], t.data instanceof Uint8Array ? "int32" : "float32") });
    }
    const json = new TextEncoder().encode(JSON.stringify({ tree, u8 }));
    weights.push({ name: STATE_NAME, tensor: tf.tensor(Int32Array.from(json), [json.length], "int32") });
    return weights;
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    if (rest.length === 0) return;
    const bad = (what: string): never => fail("ERR_STATE_DICT", `setWeights: ${what}`);
    const record = rest.find((w) => w.name === STATE_NAME) ?? bad(`no "${STATE_NAME}" record: these weights are not a CuoptimOptimizer's`);
    let parsed: { tree: unknown; u8: string[] };
    try {
      parsed = JSON.parse(new TextDecoder().decode(Uint8Array.from(record.tensor.dataSync() as Int32Array)));
    } catch (e) {
      return bad(`the "${STATE_NAME}" record is not JSON (${(e as Error).message})`);
    }
    const byName = new Map(rest.map((w) => [w.name, w.tensor]));
    const u8 = new Set(parsed.u8);
    const state = decodeTree(parsed.tree, (name) => {
      const t = byName.get(name) ?? bad(`missing weight "${name}"`);
      const data = t.dataSync();
      if (!u8.has(name)) return Float32Array.from(data as Float32Array);
      if ((data as Int32Array).some((x) => x < 0 || x > 255 || !Number.isInteger(x))) bad(`"${name}" holds values outside 0..255`);
      return Uint8Array.from(data as Int32Array);
    }) as RestoredState;
    if (typeof state !== "object" || state === null || !Number.isInteger(state.variables)) bad("the state record is malformed");
    this.#pending = state;
    if (this.#optimizer) this.#restore();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return JSON.parse(JSON.stringify(this.config)) as tf.serialization.ConfigDict;
  }

  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    // tfjs-layers adds its own keys (customObjects) when it deserializes a model's optimizer.
    const { customObjects: _ignored, ...own } = config as Record<string, unknown>;
    return new cls(own as unknown as CuoptimTfjsConfig);
  }

  override dispose(): void {
    this.#ema?.free();
    this.#optimizer?.free();
    for (const s of this.#slots) {
      s.grad.free();
      s.param.free();
    }
    this.#slots = [];
    this.#byName.clear();
    this.#optimizer = null;
    this.#schedule = null;
    this.#ema = null;
    super.dispose();
  }

  // --- internals -----------------------------------------------------------------------------

  /** cuoptim params for new variables; the optimizer stack on the first call. */
  #adopt(variables: tf.Variable[]): void {
    if (!variables.length) return;
    const slots = variables.map((variable) => {
      const param = tensor(variable.dataSync() as Float32Array, variable.shape, { device: this.#device, dtype: this.#dtype });
      const grad = tensor(new Float32Array(param.numel), variable.shape, { device: this.#device, dtype: this.#dtype });
      return { name: variable.name, variable, param, grad };
    });
    const decay = slots.filter((s) => !this.#noDecay?.test(s.name)).map((s) => s.param);
    const noDecay = slots.filter((s) => this.#noDecay?.test(s.name)).map((s) => s.param);
    if (!this.#optimizer) {
      const built = this.#build(decay, noDecay);
      this.#optimizer = built.optimizer;
      this.#schedule = built.schedule;
      this.#ema = built.ema;
    } else {
      const inner = this.#optimizer instanceof Lookahead ? this.#optimizer.optimizer : this.#optimizer;
      if (decay.length) inner.addParamGroup({ params: decay });
      if (noDecay.length) inner.addParamGroup({ params: noDecay, weightDecay: 0 } as never);
    }
    for (const s of slots) {
      this.#slots.push(s);
      this.#byName.set(s.name, s);
    }
    if (this.#pending) this.#restore();
  }

  #build(decay: Tensor[], noDecay: Tensor[], probing = false): { optimizer: Optimizer<object> | Lookahead<object>; schedule: MultiplierSchedule | null; ema: EMA | null } {
    const groups = [...(decay.length ? [{ params: decay }] : []), ...(noDecay.length ? [{ params: noDecay, weightDecay: 0 }] : [])];
    const options = isHalf(this.#dtype) ? { ...this.config.options, masterWeights: true } : (this.config.options ?? {});
    const at = <T>(path: string, make: () => T): T => (probing ? underPath(path, make) : make());
    const inner = at("config.options", () => OPTIMIZERS[this.config.optimizer]!(groups, options));
    try {
      const lookahead = this.config.lookahead;
      const optimizer = lookahead ? at("config.lookahead", () => new Lookahead(inner, lookahead)) : inner;
      const schedule = this.config.schedule ? at("config.schedule.options", () => SCHEDULES[this.config.schedule!.name]!(optimizer, this.config.schedule!.options as never)) : null;
      const emaOptions = this.config.ema;
      const ema = emaOptions ? at("config.ema", () => new EMA([...decay, ...noDecay], emaOptions)) : null;
      return { optimizer, schedule, ema };
    } catch (e) {
      inner.free();
      throw e;
    }
  }

  /** Applies setWeights() state to the variables, by position. */
  #restore(): void {
    const s = this.#pending!;
    if (s.variables !== this.#slots.length) {
      fail("ERR_STATE_DICT", `setWeights: the state is for ${s.variables} variables, this optimizer trains ${this.#slots.length}`);
    }
    this.#pending = null;
    try {
      this.#schedule?.checkStateDict(s.schedule as never);
      if (s.ema && this.#ema) this.#ema.checkStateDict(s.ema as never);
      this.#optimizer!.loadStateDict(s.optimizer as never);
      if (s.schedule && this.#schedule) this.#schedule.loadStateDict(s.schedule as never);
      if (s.ema && this.#ema) this.#ema.loadStateDict(s.ema as never);
    } catch (e) {
      if (e instanceof CuoptimError) throw new CuoptimError(e.code, `setWeights: ${e.message}`);
      throw e;
    }
  }
}

/**
 * Runs make; a CuoptimError it throws is thrown again with the config path in front of the
 * option it names: "options.lr: ..." under "config.options" becomes "config.options.lr: ...",
 * "totalSteps: ..." under "config.schedule.options" becomes "config.schedule.options.totalSteps: ...".
 */
function underPath<T>(path: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (!(e instanceof CuoptimError)) throw e;
    const rest = e.message.replace(/^options(?=[.:[])/, "");
    throw new CuoptimError(e.code, rest.startsWith(".") || rest.startsWith(":") || rest.startsWith("[") ? path + rest : `${path}.${rest}`);
  }
}

function regExp(source: unknown, where: string): RegExp {
  if (typeof source !== "string") fail("ERR_INVALID_ARGUMENT", `${where}: expected a regular expression's source string`);
  try {
    return new RegExp(source);
  } catch (e) {
    return fail("ERR_INVALID_ARGUMENT", `${where}: not a regular expression (${(e as Error).message})`);
  }
}

type NamedTensor = { name: string; tensor: tf.Tensor };

interface RestoredState {
  optimizer: unknown;
  schedule: unknown;
  ema: unknown;
  variables: number;
}

tf.serialization.registerClass(CuoptimOptimizer);
