// src-ts/optim/optimizer.ts — torch.optim's model: param groups with per-group options, lazily
// created per-param state, step(), zeroGrad(), stateDict()/loadStateDict().
//
// A subclass supplies its defaults, an option check, the shape of its per-param state (stateSpec)
// and the update itself (applyUpdate, one native multi-tensor call per batch of groups that share
// options). The base class validates everything a step will touch before anything changes.
import type { Device } from "../device.js";
import { CuoptimError, fail } from "../errors.js";
import { elementwiseOps, native, type DTypeName, type ElementwiseOp } from "../native.js";
import { checkGradFor, checkTensor, formatShape, stateTensor, Tensor } from "../tensor.js";
import { checkBool, checkNumber } from "../validate.js";

/**
 * What a param group holds besides the optimizer's options: an optional `name`, and `initialLr`,
 * each group's lr when the first scheduler was built on it (torch's initial_lr), which every
 * scheduler takes its base lr from and which state dicts carry.
 */
export interface GroupExtras {
  name?: string;
  initialLr?: number;
}
export type ParamGroupInput<O> = { params: Tensor[] } & GroupExtras & Partial<O>;

/** Options every optimizer takes at construction (not per group). */
export interface CommonOptions {
  /**
   * Keep the optimizer state in paged memory (bitsandbytes' paged optimizers): on cuda, CUDA
   * managed memory that is prefetched to the device before each step and that the driver evicts
   * to the host under memory pressure (memoryStats reports it as `paged`); on cpu and cuda-sim
   * accepted and a no-op.
   */
  paged?: boolean;
}
export type ParamGroup<O> = O & { params: Tensor[] } & GroupExtras;
export type ParamsInput<O> = Tensor[] | ParamGroupInput<O>[];

/** One state tensor: its dtype and shape for a given param (and group options). */
export interface StateField {
  dtype: DTypeName;
  shape: readonly number[];
  /** The value a new tensor is filled with (default 0; float32 only). */
  init?: number;
}
export type StateSpec = Record<string, StateField>;

/**
 * Per-param state: the step count, the tensors its stateSpec names, and the host scalars its
 * scalarSpec names (e.g. NAdam's running product of momentum coefficients).
 */
export interface ParamState {
  step: number;
  tensors: Record<string, Tensor<DTypeName>>;
  scalars: Record<string, number>;
}

/** One param about to be updated. */
export interface UpdateItem {
  param: Tensor;
  grad: Tensor;
  /** The user's path to the param, `paramGroups[i].params[j]`, for messages. */
  where: string;
  state: ParamState;
  /** The param's state was created for this step (torch's "state not yet initialised"). */
  fresh: boolean;
  /** The temporaries its scratchSpec names, made for this step and freed after it. */
  scratch: Record<string, Tensor<DTypeName>>;
}

export interface StepOptions {
  /** Multiplies every gradient as it is read (unscaling folded into the step). */
  gradScale?: number;
  /**
   * Clips the gradients' total norm to this (torch's clip_grad_norm_ over every param with a
   * grad), folded into the step: the scale is applied as the optimizer reads each gradient, the
   * gradients themselves are left as they are.
   */
  maxGradNorm?: number;
  /** The norm for maxGradNorm: 2 (default) or Infinity. */
  normType?: 2 | typeof Infinity;
  /**
   * Skip the whole step when a gradient holds NaN or Infinity, or is so large (a 2-norm, after
   * gradScale and clipping, of at least sqrt(FLT_MAX) ≈ 1.8e19) that its squares would overflow
   * float32 in the state: nothing changes (params, state, step counts) and the step reports
   * `applied: false`. On by default when maxGradNorm is set
   * (the norm finds non-finite values for free); otherwise it costs one reduction over the grads.
   */
  skipNonFinite?: boolean;
}

export interface StepResult {
  /** false when the step was skipped for a non-finite (or float32-overflowing) gradient */
  applied: boolean;
  /** the gradients' total norm (after gradScale), when it was computed */
  gradNorm: number | null;
}

/** What applyUpdate gets to know about the step beyond options and params. */
export interface StepContext {
  gradScale: number;
  /** The temporaries stepScratchSpec names, shared by every batch of this step. */
  scratch: Record<string, Tensor<DTypeName>>;
}

export interface StateDict<O> {
  state: Record<number, { step: number } & Record<string, Float32Array | Uint8Array | number>>;
  paramGroups: (O & { params: number[] } & GroupExtras)[];
}

/**
 * torch's clip coefficient, in float32 as torch computes it on a float32 norm:
 * min(1, maxNorm / (norm + 1e-6)).
 */
export function clipCoefficient(maxNorm: number, norm: number): number {
  const f = Math.fround;
  const coef = f(f(maxNorm) / f(f(norm) + f(1e-6)));
  return coef < 1 ? coef : 1;
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object") {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** sqrt(FLT_MAX): a float32 whose square is still finite is below this. */
const SQRT_FLOAT32_MAX = Math.sqrt(3.4028234663852886e38);

/** Steps beyond this could not be counted exactly (and the native step rejects them). */
const MAX_STEP = Number.MAX_SAFE_INTEGER;
/**
 * State fields that are sums or averages of squares, maxima of magnitudes, or block maxima, by
 * the names the optimizers give them: a negative value there is corrupt, and its square root NaN.
 */
// Second moments and accumulated squares (tfjs's names included: v, rms, accumulator, accumGrad).
const NON_NEGATIVE_STATE = /(Sq|SqRow|SqCol|Var|Inf)$|^(sum|squareAvg|absmax\d+|expAvgRes(Row|Col)|v|rms|accumulator|accumGrad)$/;

const STEP_OPTIONS = new Set(["gradScale", "maxGradNorm", "normType", "skipNonFinite"]);

export abstract class Optimizer<O extends object> {
  readonly defaults: Readonly<O>;
  readonly paramGroups: ParamGroup<O>[] = [];
  readonly state = new Map<Tensor, ParamState>();
  /** Whether state tensors are allocated in paged memory (CommonOptions.paged). */
  readonly paged: boolean;
  #device: Device | null = null;

  /** `defaults` are the optimizer's own; `overrides` the caller's (checked for unknown keys). */
  protected constructor(params: ParamsInput<O>, defaults: O, options: Partial<O> & CommonOptions) {
    if (typeof options !== "object" || options === null) fail("ERR_INVALID_ARGUMENT", "options: expected an object");
    const { paged = false, ...overrides } = options as Partial<O> & CommonOptions;
    this.paged = checkBool(paged, "options.paged");
    for (const k of Object.keys(overrides)) {
      if (!(k in defaults)) fail("ERR_INVALID_ARGUMENT", `options.${k}: unknown option (known: ${Object.keys(defaults).join(", ")})`);
    }
    // A deep copy, frozen: editing opt.defaults.betas must not reach the class's own defaults.
    const merged = structuredClone({ ...defaults, ...(overrides as Partial<O>) }) as O;
    this.checkOptions(merged, "options");
    this.defaults = deepFreeze(merged);
    if (!Array.isArray(params) || params.length === 0) {
      fail("ERR_INVALID_ARGUMENT", "params: expected a non-empty array of tensors or of param groups");
    }
    const groups: ParamGroupInput<O>[] = params.every((p) => p instanceof Tensor)
      ? [{ params: params as Tensor[] } as ParamGroupInput<O>]
      : (params as ParamGroupInput<O>[]);
    // Validate every group before adding any, so a bad one leaves nothing half-built.
    const all = new Map<Tensor, number>();
    const built = groups.map((g, i) => this.buildGroup(g, `paramGroups[${i}]`, all));
    for (const g of built) this.adopt(g);
  }

  /** Throws a CuoptimError naming the first invalid option. */
  protected abstract checkOptions(options: O, where: string): void;
  /** The state tensors a param needs under a group's options. */
  protected abstract stateSpec(param: Tensor, options: O): StateSpec;
  /** Updates a batch of params whose groups share identical options. */
  protected abstract applyUpdate(options: O, items: UpdateItem[], ctx: StepContext): void;
  /**
   * Temporaries a param's update needs (none unless a subclass has them). They are made with the
   * step's state, before any batch runs, so a failed allocation changes nothing; they are freed
   * when the step ends.
   */
  protected scratchSpec(_param: Tensor, _options: O): StateSpec {
    return {};
  }
  /**
   * Temporaries the whole step shares (none unless a subclass has them), from every batch about
   * to run (state made, step counts not yet advanced); made and freed as scratchSpec's are.
   */
  protected stepScratchSpec(_batches: readonly { options: O; items: readonly UpdateItem[] }[]): StateSpec {
    return {};
  }
  /** Per-param host scalars and their initial values (none unless a subclass has them). */
  protected scalarSpec(): Record<string, number> {
    return {};
  }

  /** The device every param of this optimizer lives on. */
  get device(): Device | null {
    return this.#device;
  }

  /** Every param, in group order. */
  params(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  addParamGroup(group: ParamGroupInput<O>): void {
    this.adopt(this.buildGroup(group, `paramGroups[${this.paramGroups.length}]`, new Map(this.params().map((p, i) => [p, i]))));
  }

  /** Steps skipped because a gradient was not finite. */
  skippedSteps = 0;

  /** Applies one update to every param that has a gradient (see StepOptions for clipping and the guard). */
  step(options: StepOptions = {}): StepResult {
    this.assertNotFreed("step");
    if (typeof options !== "object" || options === null) fail("ERR_INVALID_ARGUMENT", "step: expected an options object");
    for (const k of Object.keys(options)) {
      if (!STEP_OPTIONS.has(k)) fail("ERR_INVALID_ARGUMENT", `step: options.${k}: unknown option (known: ${[...STEP_OPTIONS].join(", ")})`);
    }
    // A negative scale would flip the update's direction.
    let gradScale = checkNumber(options.gradScale ?? 1, "gradScale", { min: 0 });
    const maxNorm = options.maxGradNorm === undefined ? undefined : checkNumber(options.maxGradNorm, "maxGradNorm", { min: 0 });
    const normType = options.normType ?? 2;
    if (normType !== 2 && normType !== Infinity) fail("ERR_RANGE", `normType: expected 2 or Infinity, got ${String(normType)}`);
    const guard = options.skipNonFinite === undefined ? maxNorm !== undefined : checkBool(options.skipNonFinite, "skipNonFinite");
    const plans = this.planStep();
    let gradNorm: number | null = null;
    if (maxNorm !== undefined || guard) {
      const grads = plans.flatMap((p) => p.items.map((it) => it.grad.native));
      gradNorm = grads.length ? native.gradNorm(grads, normType) * Math.abs(gradScale) : 0;
      if (guard && !Number.isFinite(gradNorm)) {
        this.skippedSteps += 1;
        return { applied: false, gradNorm };
      }
      const coef = maxNorm === undefined ? 1 : clipCoefficient(maxNorm, gradNorm);
      if (maxNorm !== undefined) gradScale = Math.fround(gradScale * coef);
      // Finite but huge gradients overflow float32 in the state: a square above FLT_MAX (Adam's
      // second moments, 8-bit absmax, Adafactor's and CAME's row and column sums) is Infinity,
      // and the next step makes the params NaN. Every such sum of squares is at most ‖g‖₂², so
      // a guarded step whose (clipped) 2-norm is at least sqrt(FLT_MAX) is skipped instead. With
      // normType Infinity, √numel · max|g| bounds the 2-norm.
      if (guard) {
        const norm2Bound = (normType === Infinity ? gradNorm * Math.sqrt(grads.reduce((n, g) => n + g.numel, 0)) : gradNorm) * coef;
        if (!(norm2Bound < SQRT_FLOAT32_MAX)) {
          this.skippedSteps += 1;
          return { applied: false, gradNorm };
        }
      }
    }
    // Every batch's state and scratch is created before any batch runs, so an allocation failure
    // leaves every group unstepped; state created for a step that then fails is dropped again, so
    // the next step still finds it fresh (torch's lazy initialisation).
    const created: Tensor[][] = [];
    const scratch: Tensor[] = [];
    const batches: UpdateItem[][] = [];
    let shared: Record<string, Tensor<DTypeName>> = {};
    try {
      try {
        for (const plan of plans) {
          const made: Tensor[] = [];
          created.push(made);
          const items: UpdateItem[] = new Array(plan.items.length);
          for (let i = 0; i < items.length; i++) {
            const { param, grad, where } = plan.items[i]!;
            const { state, fresh } = this.stateFor(param, plan.options, plan.key, made);
            items[i] = { param, grad, where, state, fresh, scratch: this.scratchFor(param, plan.options, scratch) };
          }
          batches.push(items);
        }
        if (plans.length) {
          const spec = this.stepScratchSpec(plans.map((plan, i) => ({ options: plan.options, items: batches[i]! })));
          shared = this.makeScratch(spec, plans[0]!.items[0]!.param.device, scratch);
        }
      } catch (e) {
        this.dropCreated(created.flat());
        throw e;
      }
      let ran = 0;
      try {
        for (; ran < plans.length; ran++) {
          const items = batches[ran]!;
          if (this.paged) native.prefetch(items.flatMap((it) => Object.values(it.state.tensors).map((t) => t.native)));
          for (const item of items) item.state.step += 1;
          try {
            this.applyUpdate(plans[ran]!.options, items, { gradScale, scratch: shared });
          } catch (e) {
            for (const item of items) item.state.step -= 1;
            throw e;
          }
        }
      } catch (e) {
        // Only a failure the checks above cannot foresee gets here (a kernel launch error): batches
        // that ran keep their update; state made for the ones that did not is dropped.
        this.dropCreated(created.slice(ran).flat());
        throw e;
      }
    } finally {
      for (const t of scratch) t.free();
    }
    return { applied: true, gradNorm };
  }

  /** Clears gradients: zero-fills them, or with setToNone drops them (grad = null). */
  zeroGrad({ setToNone = false }: { setToNone?: boolean } = {}): void {
    for (const p of this.params()) {
      if (!p.grad) continue;
      if (setToNone) p.grad = null;
      else p.grad.zero();
    }
  }

  /**
   * Frees every state tensor now (the params and grads are the caller's). The optimizer is done
   * with: step(), stateDict() and loadStateDict() then throw ERR_FREED rather than start again
   * from zero state.
   */
  free(): void {
    this.releaseState();
    this.#freed = true;
  }

  #freed = false;

  private assertNotFreed(what: string): void {
    if (this.#freed) fail("ERR_FREED", `${what}: this optimizer was freed (free() released its state); make a new one`);
  }

  private releaseState(): void {
    for (const s of this.state.values()) for (const t of Object.values(s.tensors)) t.free();
    this.state.clear();
  }

  stateDict(): StateDict<O> {
    this.assertNotFreed("stateDict");
    const index = new Map<Tensor, number>();
    this.params().forEach((p, i) => index.set(p, i));
    const state: StateDict<O>["state"] = {};
    for (const [param, s] of this.state) {
      // State of a param since removed from its group cannot be loaded back: it is left out.
      if (!index.has(param)) continue;
      const entry: Record<string, Float32Array | Uint8Array | number> = { step: s.step, ...s.scalars };
      for (const [k, t] of Object.entries(s.tensors)) entry[k] = t.toArray();
      state[index.get(param)!] = entry as StateDict<O>["state"][number];
    }
    let next = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const { params, ...options } = g;
      return { ...structuredClone(options), params: params.map(() => next++) } as StateDict<O>["paramGroups"][number];
    });
    return { state, paramGroups };
  }

  /**
   * Throws ERR_STATE_DICT unless loadStateDict(dict) would succeed; changes nothing. save() runs
   * it on what it writes, so a checkpoint that is written always loads.
   */
  checkStateDict(dict: StateDict<O>): void {
    this.#checkOnly = true;
    try {
      this.loadStateDict(dict);
    } finally {
      this.#checkOnly = false;
    }
  }

  #checkOnly = false;

  /** Whether the loadStateDict running now only checks (checkStateDict). */
  protected get checkingOnly(): boolean {
    return this.#checkOnly;
  }

  /** Replaces options and state from a stateDict(); validated completely before anything changes. */
  loadStateDict(dict: StateDict<O>): void {
    this.assertNotFreed("loadStateDict");
    const fault = (msg: string): never => fail("ERR_STATE_DICT", `loadStateDict: ${msg}`);
    if (typeof dict !== "object" || dict === null) fault("expected an object with state and paramGroups");
    for (const k of Object.keys(dict)) if (k !== "state" && k !== "paramGroups") fault(`${k}: not part of a state dict (expected state and paramGroups)`);
    const { state, paramGroups } = dict;
    if (!Array.isArray(paramGroups)) fault("paramGroups: expected an array");
    if (typeof state !== "object" || state === null || Array.isArray(state)) fault("state: expected an object keyed by param index");
    const proto = Object.getPrototypeOf(state);
    if (proto !== Object.prototype && proto !== null) fault("state: expected a plain object keyed by param index (not a Map or class instance)");
    if (paramGroups.length !== this.paramGroups.length) {
      fault(`paramGroups: expected ${this.paramGroups.length} groups (this optimizer's), got ${paramGroups.length}`);
    }
    const params = this.params();
    const groupOf: O[] = [];
    const newOptions = paramGroups.map((g, i) => {
      const where = `paramGroups[${i}]`;
      if (typeof g !== "object" || g === null) fault(`${where}: expected an object`);
      const { params: ids, ...rest } = g;
      if (!Array.isArray(ids) || ids.length !== this.paramGroups[i]!.params.length) {
        fault(`${where}.params: expected ${this.paramGroups[i]!.params.length} param indices, got ${Array.isArray(ids) ? ids.length : typeof ids}`);
      }
      const options = this.mergeOptions(rest as Partial<O>, where, true);
      for (const id of ids) {
        if (!Number.isInteger(id) || id < 0 || id >= params.length || groupOf[id] !== undefined) {
          fault(`${where}.params: ${String(id)} is not an unused param index below ${params.length}`);
        }
        groupOf[id] = options;
      }
      return options;
    });
    const scalarSpec = this.scalarSpec();
    const staged = new Map<Tensor, { step: number; values: Record<string, Float32Array | Uint8Array>; scalars: Record<string, number> }>();
    for (const [key, entry] of Object.entries(state)) {
      // Canonical decimal only: "01", "1e0" and "0x1" are not index 1.
      const id = /^(0|[1-9][0-9]*)$/.test(key) ? Number(key) : -1;
      if (id < 0 || id >= params.length) fault(`state: key ${JSON.stringify(key)} is not a param index below ${params.length}`);
      const param = params[id]!;
      const spec = this.stateSpec(param, groupOf[id]!);
      if (typeof entry !== "object" || entry === null) fault(`state[${id}]: expected an object`);
      const step = entry.step;
      if (typeof step !== "number" || !Number.isInteger(step) || step < 0 || step >= MAX_STEP) {
        fault(`state[${id}].step: expected a whole number in [0, 2^53 - 1), got ${String(step)}`);
      }
      const values: Record<string, Float32Array | Uint8Array> = {};
      for (const [name, field] of Object.entries(spec)) {
        const v = entry[name];
        const numel = field.shape.reduce((a, b) => a * b, 1);
        const ctor = field.dtype === "uint8" ? Uint8Array : Float32Array;
        if (!(v instanceof ctor)) fault(`state[${id}].${name}: expected a ${ctor.name} (${field.dtype}), got ${v === undefined ? "nothing" : (v as object).constructor?.name ?? typeof v}`);
        if (v.length !== numel) fault(`state[${id}].${name}: expected ${numel} values (shape ${formatShape(field.shape)}), got ${v.length}`);
        if (v instanceof Float32Array) {
          const nonNegative = NON_NEGATIVE_STATE.test(name);
          const at = v.findIndex((x) => !Number.isFinite(x) || (nonNegative && x < 0));
          if (at >= 0) fault(`state[${id}].${name}[${at}]: expected a finite${nonNegative ? ", non-negative" : ""} value, got ${v[at]}`);
        }
        values[name] = v;
      }
      const scalars: Record<string, number> = {};
      for (const name of Object.keys(scalarSpec)) {
        const v = entry[name];
        if (typeof v !== "number" || !Number.isFinite(v)) fault(`state[${id}].${name}: expected a finite number, got ${v === undefined ? "nothing" : String(v)}`);
        scalars[name] = v;
      }
      for (const name of Object.keys(entry)) {
        if (name !== "step" && !(name in spec) && !(name in scalarSpec)) fault(`state[${id}].${name}: not part of this optimizer's state`);
      }
      staged.set(param, { step, values, scalars });
    }
    if (this.#checkOnly) return;
    // Everything checked: allocate the new state, then swap it in.
    const fresh = new Map<Tensor, ParamState>();
    const indexOf = new Map(params.map((p, i) => [p, i]));
    for (const [param, s] of staged) {
      const spec = this.stateSpec(param, groupOf[indexOf.get(param)!]!);
      const tensors: Record<string, Tensor<DTypeName>> = {};
      for (const [name, field] of Object.entries(spec)) {
        tensors[name] = stateTensor(param.device, field.shape, field.dtype, this.paged).set(s.values[name]! as never);
      }
      fresh.set(param, { step: s.step, tensors, scalars: s.scalars });
    }
    this.releaseState();
    for (const [p, s] of fresh) this.state.set(p, s);
    newOptions.forEach((o, i) => {
      const group = this.paramGroups[i]!;
      // The dict's groups replace the optimizer's, as torch's do: a record it lacks is dropped.
      if (!("initialLr" in o)) delete group.initialLr;
      Object.assign(group, o);
    });
  }

  /**
   * Runs one of the addon's element-wise optimizers over a batch: its state lists are the
   * param state's tensors of the op's state names (or of `stateNames`, for state saved under
   * other names), null where the state has none; `options` are its native options (gradScale is
   * added here); `hostScalar` names a per-param host scalar the op advances (NAdam).
   */
  protected runElementwise(
    op: ElementwiseOp,
    options: Record<string, number | boolean>,
    items: UpdateItem[],
    ctx: StepContext,
    { stateNames = elementwiseOps[op]!.states, hostScalar }: { stateNames?: readonly string[]; hostScalar?: string } = {},
  ): void {
    const after = this.labelled(items, () => native.optimizerStep(
      op,
      [
        items.map((it) => it.param.native),
        items.map((it) => it.grad.native),
        ...stateNames.map((k) => (items[0]?.state.tensors[k] ? items.map((it) => it.state.tensors[k]!.native) : null)),
      ],
      Float64Array.from(items, (it) => it.state.step),
      Uint8Array.from(items, (it) => (it.fresh ? 1 : 0)),
      { ...options, gradScale: ctx.gradScale },
      hostScalar === undefined ? undefined : items.map((it) => it.state.scalars[hostScalar]!),
    ));
    // The op ran: only now does the host scalar advance (a failed step leaves it as it was).
    if (hostScalar !== undefined) items.forEach((it, i) => (it.state.scalars[hostScalar] = after![i]!));
  }

  /**
   * Runs a native call over `items` (its lists in items' order) and puts the user's path into
   * an error that names a position in one of its lists: "grads[3]: ..." becomes
   * "paramGroups[1].params[0].grad: ...".
   */
  protected labelled<T>(items: readonly UpdateItem[], call: () => T): T {
    try {
      return call();
    } catch (e) {
      const m = e instanceof CuoptimError ? /^(\w+)\[(\d+)\]([\s\S]*)$/.exec(e.message) : null;
      const item = m ? items[Number(m[2])] : undefined;
      if (!m || !item) throw e;
      const path = m[1] === "params" ? item.where : m[1] === "grads" ? `${item.where}.grad` : `${item.where} (state ${m[1]})`;
      throw new CuoptimError((e as CuoptimError).code, `${path}${m[3]}`);
    }
  }

  /**
   * Every param that has a gradient (all validated), with its state (created when missing),
   * batched by options, for work beside the step (e.g. Sophia's Hessian update): no step count
   * changes.
   */
  protected prepareItems(): { options: O; items: UpdateItem[] }[] {
    return this.planStep().map((plan) => ({
      options: plan.options,
      items: plan.items.map(({ param, grad, where }) => ({ param, grad, where, ...this.stateFor(param, plan.options, plan.key), scratch: {} })),
    }));
  }

  // --- internals -----------------------------------------------------------------------------

  /** defaults + input, checked; from a state dict (fromDict) every option must be present. */
  private mergeOptions(input: Partial<O> & GroupExtras, where: string, fromDict = false): O & GroupExtras {
    try {
      const known = new Set([...Object.keys(this.defaults), "name", "initialLr"]);
      for (const k of Object.keys(input)) {
        if (!known.has(k)) fail("ERR_INVALID_ARGUMENT", `${where}.${k}: unknown option (known: ${[...known].join(", ")})`);
      }
      if (fromDict) {
        for (const k of Object.keys(this.defaults)) if (!(k in input)) fail("ERR_INVALID_ARGUMENT", `${where}.${k}: missing`);
      }
      const merged = { ...structuredClone(this.defaults), ...structuredClone(input) } as O & GroupExtras;
      if (merged.name !== undefined && typeof merged.name !== "string") fail("ERR_INVALID_ARGUMENT", `${where}.name: expected a string`);
      if (merged.initialLr !== undefined) checkNumber(merged.initialLr, `${where}.initialLr`, { min: 0 });
      this.checkOptions(merged, where);
      return merged;
    } catch (e) {
      if (fromDict && e instanceof CuoptimError) fail("ERR_STATE_DICT", `loadStateDict: ${e.message}`);
      throw e;
    }
  }

  /** `seen`: the params met so far, with their index among all params (added to here). */
  private buildGroup(input: ParamGroupInput<O>, where: string, seen: Map<Tensor, number>): ParamGroup<O> {
    if (typeof input !== "object" || input === null || !Array.isArray(input.params)) {
      // A list of tensors with something else among them: say what that is.
      if (typeof input === "object" && input !== null && "native" in input) checkTensor(input, where.replace(/^paramGroups/, "params"));
      fail("ERR_INVALID_ARGUMENT", `${where}: expected {params: Tensor[], ...options}`);
    }
    const { params, ...rest } = input;
    let device = this.#device ?? seen.keys().next().value?.device ?? null;
    params.forEach((p, j) => {
      const name = `${where}.params[${j}]`;
      checkTensor(p, name);
      p.assertLive(name);
      if (p.dtype !== "float32") fail("ERR_DTYPE", `${name}: expected a float32 tensor`);
      device ??= p.device;
      if (p.device !== device) fail("ERR_DEVICE", `${name}: expected a tensor on ${device} (every param of an optimizer shares one device), got one on ${p.device}`);
      const prior = seen.get(p);
      if (prior !== undefined) fail("ERR_INVALID_ARGUMENT", `${name}: this tensor is already a param of this optimizer (param #${prior}); a param may appear only once`);
      seen.set(p, seen.size);
    });
    return { ...this.mergeOptions(rest as Partial<O>, where), params: [...params] };
  }

  private adopt(group: ParamGroup<O>): void {
    for (const p of group.params) {
      this.#device ??= p.device;
      p.setRole("params");
    }
    this.paramGroups.push(group);
  }

  /** Validates the whole step and batches groups with equal options (no state is created yet). */
  private planStep(): { key: string; options: O; items: { param: Tensor; grad: Tensor; where: string }[] }[] {
    const plans: { key: string; options: O; items: { param: Tensor; grad: Tensor; where: string }[] }[] = [];
    const seen = new Map<Tensor, string>();
    this.paramGroups.forEach((group, gi) => {
      const { params, name: _name, initialLr: _initialLr, ...options } = group;
      this.checkOptions(options as O, `paramGroups[${gi}]`);
      const items: { param: Tensor; grad: Tensor; where: string }[] = [];
      params.forEach((p, j) => {
        const where = `paramGroups[${gi}].params[${j}]`;
        p.assertLive(where);
        const prior = seen.get(p);
        if (prior) fail("ERR_INVALID_ARGUMENT", `${where}: this tensor is also ${prior}; a param may appear only once (it would be updated twice)`);
        seen.set(p, where);
        if (p.grad === null) return;
        checkGradFor(p, p.grad, `paramGroups[${gi}].params[${j}].grad`);
        items.push({ param: p, grad: p.grad, where });
      });
      const key = JSON.stringify(options);
      const same = plans.find((pl) => pl.key === key);
      if (same) same.items.push(...items);
      else plans.push({ key, options: options as O, items });
    });
    // A grad is read while params and state are written: it may be neither a param nor another
    // param's grad (the kernels refuse such aliasing within a batch; this refuses it across
    // batches too, before any batch runs).
    const gradOf = new Map<Tensor, string>();
    for (const pl of plans) {
      for (const it of pl.items) {
        const param = seen.get(it.grad);
        if (param) fail("ERR_INVALID_ARGUMENT", `${it.where}.grad: this tensor is also the param ${param}; a grad must be a tensor of its own`);
        const other = gradOf.get(it.grad);
        if (other) fail("ERR_INVALID_ARGUMENT", `${it.where}.grad: this tensor is also the grad of ${other}; each param needs a grad of its own`);
        gradOf.set(it.grad, it.where);
      }
    }
    return plans.filter((pl) => pl.items.length > 0);
  }

  /** Undoes stateFor for the tensors it created: frees them, and drops states left empty. */
  private dropCreated(created: Tensor[]): void {
    const made = new Set(created);
    for (const [param, s] of this.state) {
      for (const [name, t] of Object.entries(s.tensors)) {
        if (!made.has(t as Tensor)) continue;
        delete s.tensors[name];
        this.#completeFor.delete(s);
      }
      // A state never stepped and now empty was made by this step (or is as good as new).
      if (Object.keys(s.tensors).length === 0 && s.step === 0) this.state.delete(param);
    }
    for (const t of created) t.free();
  }

  /** The param's scratch tensors for this step (each also pushed to `all`, to be freed). */
  private scratchFor(param: Tensor, options: O, all: Tensor[]): Record<string, Tensor<DTypeName>> {
    return this.makeScratch(this.scratchSpec(param, options), param.device, all);
  }

  private makeScratch(spec: StateSpec, device: Device, all: Tensor[]): Record<string, Tensor<DTypeName>> {
    const out: Record<string, Tensor<DTypeName>> = {};
    for (const [name, field] of Object.entries(spec)) {
      const t = stateTensor(device, field.shape, field.dtype, false);
      all.push(t as Tensor);
      out[name] = t;
    }
    return out;
  }

  /** The options (as planStep's key) each state was last completed for. */
  readonly #completeFor = new WeakMap<ParamState, string>();

  /**
   * The param's state, creating it (zero-filled) or any field a changed option now needs; fresh
   * when anything was created.
   */
  private stateFor(param: Tensor, options: O, key: string, created?: Tensor[]): { state: ParamState; fresh: boolean } {
    let state = this.state.get(param);
    if (state && this.#completeFor.get(state) === key) return { state, fresh: false };
    if (!state) {
      state = { step: 0, tensors: {}, scalars: { ...this.scalarSpec() } };
      this.state.set(param, state);
    }
    let fresh = false;
    for (const [name, field] of Object.entries(this.stateSpec(param, options))) {
      if (state.tensors[name]) continue;
      const t = stateTensor(param.device, field.shape, field.dtype, this.paged);
      created?.push(t as Tensor);
      if (field.init) (t as Tensor).set(new Float32Array(t.numel).fill(field.init));
      state.tensors[name] = t;
      fresh = true;
    }
    this.#completeFor.set(state, key);
    return { state, fresh };
  }
}
