// src-ts/optim/optimizer.ts — torch.optim's model: param groups with per-group options, lazily
// created per-param state, step(), zeroGrad(), stateDict()/loadStateDict().
//
// A subclass supplies its defaults, an option check, the shape of its per-param state (stateSpec)
// and the update itself (applyUpdate, one native multi-tensor call per batch of groups that share
// options). The base class validates everything a step will touch before anything changes.
import { deviceKind, type Device } from "../device.js";
import { fail } from "../errors.js";
import { native, type DTypeName, type GraphHandle } from "../native.js";
import { checkTensor, isHalf, stateTensor, Tensor } from "../tensor.js";
import { checkBool } from "../validate.js";
import { deepFreeze, mergeGroupOptions } from "./groups.js";
import { guardStep, parseStepOptions, planStep, type StepPlan } from "./plan.js";
import { keepPlan, keptPlanOptions, type PreparedPlan } from "./prepared.js";
import { castInto, gradNormOf, parsePrecision, workingItems, type Precision } from "./precision.js";
import { stageState } from "./state_dict.js";
import { preparedCapturably, releasePrepared, withRunMode } from "./run.js";
import type { CapturedStep, CommonOptions, GroupExtras, ParamGroup, ParamGroupInput, ParamsInput, ParamState, StateDict, StateSpec, StepContext, StepOptions, StepResult, UpdateItem } from "./types.js";

export { clipCoefficient } from "./plan.js";
export type * from "./types.js";

/**
 * Stochastic rounding's per-param keys for an optimizer that holds one shard of a model
 * (cuoptim/distributed's ZeroRedundancyOptimizer): each param's index in the whole model, so the
 * sharded run rounds as the unsharded one does.
 */
export const paramIdOverrides = new WeakMap<object, ReadonlyMap<Tensor, number>>();

/**
 * The norm of every gradient of the whole model, for an optimizer that holds one shard of it and
 * reads that norm (readsWholeGradNorm): set by ZeroRedundancyOptimizer for each step.
 */
export const wholeGradNormOverrides = new WeakMap<object, number>();

/** The base of the torch-style optimizers: param groups with per-group options, step() / zeroGrad(), stateDict() / loadStateDict(), lazily created state. Every call checks its input before it changes anything. */
export abstract class Optimizer<O extends object> {
  readonly defaults: Readonly<O>;
  readonly paramGroups: ParamGroup<O>[] = [];
  readonly state = new Map<Tensor, ParamState>();
  /** Whether state tensors are allocated in paged memory (CommonOptions.paged). */
  readonly paged: boolean;
  /** Whether step counts and step scalars live on the device (CommonOptions.capturable). */
  readonly capturable: boolean;
  /** The options for 16-bit params (CommonOptions: masterWeights, stateDtype, stochasticRounding, seed). */
  readonly precision: Readonly<Precision>;
  #device: Device | null = null;

  /** `defaults` are the optimizer's own; `overrides` the caller's (checked for unknown keys). */
  protected constructor(params: ParamsInput<O>, defaults: O, options: Partial<O> & CommonOptions) {
    if (typeof options !== "object" || options === null) fail("ERR_INVALID_ARGUMENT", "options: expected an object");
    const { paged = false, masterWeights, stateDtype, stochasticRounding, seed, capturable = false, ...overrides } = options as Partial<O> & CommonOptions;
    this.paged = checkBool(paged, "options.paged");
    this.capturable = checkBool(capturable, "options.capturable");
    if (this.capturable && !this.capturableSteps) fail("ERR_INVALID_ARGUMENT", `options.capturable: capturable steps are for Adam and AdamW (as in torch 1.13), not ${new.target.name}`);
    if (this.capturable && stochasticRounding) fail("ERR_INVALID_ARGUMENT", "options.capturable: not with stochasticRounding (its per-step keys come from the host)");
    this.precision = parsePrecision({ masterWeights, stateDtype, stochasticRounding, seed });
    this.#seed = this.precision.seed;
    if (this.precision.stateDtype === "param" && !this.stateDtypeParam) {
      fail("ERR_INVALID_ARGUMENT", `options.stateDtype: "param" is for element-wise optimizers; ${new.target.name} keeps its state in float32 (or 8-bit)`);
    }
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
  /**
   * Whether applyUpdate's kernels take 16-bit params, grads and state themselves (the
   * element-wise optimizers, src-native/ops.cc). Otherwise a step hands applyUpdate float32
   * working copies of 16-bit params and grads (precision.ts workingItems) and rounds the results
   * back.
   */
  protected get kernels16(): boolean {
    return false;
  }

  /** Whether applyUpdate reads wholeGradNorm() (LAMB's global clipping): a sharded optimizer computes it across ranks first. */
  protected get readsWholeGradNorm(): boolean {
    return false;
  }

  /** The 2-norm of every param's gradient, in param order: of the whole model when this optimizer holds one shard of it. */
  protected wholeGradNorm(): number {
    return wholeGradNormOverrides.get(this) ?? gradNormOf(this.params().flatMap((p) => (p.grad ? [p.grad] : [])), 2);
  }

  /** Whether CommonOptions.capturable applies (Adam and AdamW). */
  protected get capturableSteps(): boolean {
    return false;
  }

  /** Whether stateDtype "param" applies (the element-wise optimizers' moments). */
  protected get stateDtypeParam(): boolean {
    return this.kernels16;
  }

  #seed: number;
  /** The stochastic-rounding seed now in use (options.seed, or a loaded state dict's). */
  get seed(): number {
    return this.#seed;
  }

  /** Per-param host scalars and their initial values (none unless a subclass has them). */
  protected scalarSpec(_options: O): Record<string, number> {
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
    const parsed = parseStepOptions(options);
    const checkOptions = (o: O, where: string): void => this.checkOptions(o, where);
    // The last step's plan, when nothing it was built from has changed: no state to create, no
    // temporaries, the same batches (and their prepared native lists, run.ts).
    const keptOptions = this.#kept && keptPlanOptions(this.#kept, this.paramGroups, this.state, checkOptions);
    const kept = keptOptions ? this.#kept : null;
    if (kept) kept.plans.forEach((plan, i) => (plan.options = keptOptions![i]!));
    else this.#dropKept();
    const plans = kept ? kept.plans : planStep(this.paramGroups, checkOptions);
    const { skip, gradNorm, gradScale } = guardStep(plans, parsed);
    if (skip) {
      this.skippedSteps += 1;
      return { applied: false, gradNorm, updated: 0 };
    }
    const updated = plans.reduce((n, plan) => n + plan.items.length, 0);
    if (updated === 0) this.#warnNoGrad();
    if (kept) {
      this.#runBatches(plans, kept.batches, [], gradScale, {}, []);
      return { applied: true, gradNorm, updated };
    }
    this.#ids = null;
    // Every batch's state and scratch is created before any batch runs, so an allocation failure
    // leaves every group unstepped; state created for a step that then fails is dropped again, so
    // the next step still finds it fresh (torch's lazy initialisation).
    const created: Tensor[][] = [];
    const scratch: Tensor[] = [];
    const batches: UpdateItem[][] = [];
    const working: (ReturnType<typeof workingItems> | null)[] = [];
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
          const half = !this.kernels16 && items.some((it) => isHalf(it.param.dtype) || isHalf(it.grad.dtype));
          working.push(half ? workingItems(items, this.precision, (p) => this.#idOf(p), scratch) : null);
          batches.push(half ? working[working.length - 1]!.items : items);
        }
        if (plans.length) {
          const spec = this.stepScratchSpec(plans.map((plan, i) => ({ options: plan.options, items: batches[i]! })));
          shared = this.makeScratch(spec, plans[0]!.items[0]!.param.device, scratch);
        }
      } catch (e) {
        this.dropCreated(created.flat());
        throw e;
      }
      this.#runBatches(plans, batches, working, gradScale, shared, created);
    } finally {
      for (const t of scratch) t.free();
    }
    // A step with no temporaries is kept for the next one.
    if (scratch.length === 0 && working.every((w) => w === null)) this.#kept = keepPlan(this.paramGroups, plans, batches);
    return { applied: true, gradNorm, updated };
  }

  /** The last step's plan while it still holds (prepared.ts); dropped whenever state is replaced or released. */
  #kept: PreparedPlan<O> | null = null;

  /** Drops the kept plan, releasing its prepared lists (and capturable records) now rather than at collection. */
  #dropKept(): void {
    if (this.#kept) releasePrepared(this.#kept.batches);
    this.#kept = null;
  }

  #ids: Map<Tensor, number> | null = null;
  /** A param's index among all params (stochastic rounding's per-param key), or its index in a sharded model (paramIdOverrides). */
  #idOf(p: Tensor): number {
    const shared = paramIdOverrides.get(this);
    if (shared) return shared.get(p)!;
    if (!this.#ids) this.#ids = new Map(this.params().map((q, i) => [q, i]));
    return this.#ids.get(p)!;
  }

  /** Runs applyUpdate over each batch, advancing its step counts; see step() for what a failure leaves. */
  #runBatches(plans: readonly StepPlan<O>[], batches: readonly UpdateItem[][], working: readonly (ReturnType<typeof workingItems> | null)[], gradScale: number, shared: Record<string, Tensor<DTypeName>>, created: readonly Tensor[][]): void {
    let ran = 0;
    try {
      for (; ran < plans.length; ran++) {
        const items = batches[ran]!;
        const work = working[ran];
        if (this.paged) native.prefetch(items.flatMap((it) => Object.values(it.state.tensors).map((t) => t.native)));
        for (const item of items) item.state.step += 1;
        try {
          work?.begin();
          const stochastic = this.precision.stochasticRounding && this.kernels16 ? { seed: this.#seed, idOf: (p: Tensor) => this.#idOf(p) } : undefined;
          this.applyUpdate(plans[ran]!.options, items, { gradScale, scratch: shared, stochastic, capturable: this.capturable });
          work?.finish();
        } catch (e) {
          for (const item of items) item.state.step -= 1;
          throw e;
        }
      }
    } catch (e) {
      // Only a failure the checks above cannot foresee gets here (a kernel launch error): batches
      // that ran keep their update; state made for the ones that did not is dropped.
      this.#dropKept();
      this.dropCreated(created.slice(ran).flat());
      throw e;
    }
  }

  /**
   * Records one whole step (every group's update, with `options.gradScale`) for replay():
   * on cuda as a CUDA graph, which enqueues the step's kernels in one launch and reads no host
   * value (torch's capturable steps under torch.cuda.graph); on cpu and cuda-sim replay() runs
   * the step directly. Needs a capturable optimizer (CommonOptions.capturable) that has taken two
   * steps over these params and grads (the first makes the state, the second prepares the device
   * lists: torch too needs warm-up steps before capture). Capturing runs nothing. Clipping and
   * the non-finite guard are not captured (ERR_NOT_IMPLEMENTED: their norm and skip decision
   * would have to stay on the device): clip before replay() if needed.
   */
  captureStep(options: StepOptions = {}): CapturedStep {
    this.assertNotFreed("captureStep");
    if (!this.capturable) fail("ERR_INVALID_ARGUMENT", `captureStep: needs a capturable optimizer (options.capturable: true); this ${this.constructor.name} is not`);
    const parsed = parseStepOptions(options);
    if (parsed.maxNorm !== undefined || parsed.guard) {
      fail("ERR_NOT_IMPLEMENTED", "captureStep: clipping (maxGradNorm) and the non-finite guard (skipNonFinite) cannot be captured yet; clip with clipGradNorm() before replay(), or step() without a graph");
    }
    const checkOptions = (o: O, where: string): void => this.checkOptions(o, where);
    const captured = this.#kept;
    if (!captured || !keptPlanOptions(captured, this.paramGroups, this.state, checkOptions) || !preparedCapturably(captured.batches)) {
      fail("ERR_INVALID_ARGUMENT", "captureStep: take two steps over these params and grads first (the first makes the state, the second prepares the device lists)");
    }
    const ctx = (): StepContext => ({ gradScale: parsed.gradScale, scratch: {}, capturable: true });
    const device = this.#device!;
    let graph: GraphHandle | null = null;
    if (deviceKind(device) === "cuda") {
      native.beginCapture(device);
      let failure: unknown = null;
      try {
        withRunMode("capture", () => captured.plans.forEach((plan, i) => this.applyUpdate(plan.options, captured.batches[i]!, ctx())));
      } catch (e) {
        failure = e;
      }
      const recorded = native.endCapture(device);
      if (failure) throw failure;
      graph = recorded;
    }
    let freed = false;
    const updated = captured.batches.reduce((n, b) => n + b.length, 0);
    return {
      replay: (): StepResult => {
        if (freed) fail("ERR_FREED", "replay: this captured step was freed");
        this.assertNotFreed("replay");
        const plansOptions = this.#kept === captured ? keptPlanOptions(captured, this.paramGroups, this.state, checkOptions) : null;
        const stateFreed = captured.batches.some((b) => b.some((it) => Object.values(it.state.tensors).some((t) => t.freed)));
        if (!plansOptions || stateFreed) fail("ERR_INVALID_ARGUMENT", "replay: the params, grads, state or options (other than lr) changed since captureStep(); capture the step again");
        if (!graph) return this.step(options);
        captured.plans.forEach((plan, i) => (plan.options = plansOptions[i]!));
        withRunMode("header", () => captured.plans.forEach((plan, i) => this.applyUpdate(plan.options, captured.batches[i]!, ctx())));
        native.replayGraph(graph);
        for (const batch of captured.batches) for (const item of batch) item.state.step += 1;
        return { applied: true, gradNorm: null, updated };
      },
      free: (): void => {
        freed = true;
        graph = null;
      },
    };
  }

  #warnedNoGrad = false;
  #warnNoGrad(): void {
    if (this.#warnedNoGrad || this.params().length === 0) return;
    this.#warnedNoGrad = true;
    process.emitWarning(`${this.constructor.name}.step(): no param had a grad, so nothing was updated: set .grad before step()`, { code: "CUOPTIM_NO_GRAD" });
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
    this.#dropKept();
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
    return this.precision.stochasticRounding ? { state, paramGroups, seed: this.#seed } : { state, paramGroups };
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
    for (const k of Object.keys(dict)) {
      if (k !== "state" && k !== "paramGroups" && !(k === "seed" && this.precision.stochasticRounding)) fault(`${k}: not part of a state dict (expected state and paramGroups)`);
    }
    const seed = dict.seed ?? this.#seed;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) fault(`seed: expected a whole number in [0, 2^32), got ${String(seed)}`);
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
    const staged = stageState(state, params, (id) => this.fullStateSpec(params[id]!, groupOf[id]!), this.scalarSpec(this.defaults), fault);
    if (this.#checkOnly) return;
    // Everything checked: allocate the new state, then swap it in.
    const fresh = new Map<Tensor, ParamState>();
    const indexOf = new Map(params.map((p, i) => [p, i]));
    try {
      for (const [param, s] of staged) {
        const spec = this.fullStateSpec(param, groupOf[indexOf.get(param)!]!);
        const tensors: Record<string, Tensor<DTypeName>> = {};
        fresh.set(param, { step: s.step, tensors, scalars: s.scalars });
        for (const [name, field] of Object.entries(spec)) {
          const t = stateTensor(param.device, field.shape, field.dtype, this.paged);
          tensors[name] = t;
          // A master the dict does not have starts from the param (a dict saved without masters).
          if (s.values[name] === undefined && field.fromParam) castInto([t as Tensor], [param]);
          else t.set(s.values[name]! as never);
        }
      }
    } catch (e) {
      for (const s of fresh.values()) for (const t of Object.values(s.tensors)) t.free();
      throw e;
    }
    this.releaseState();
    this.#seed = seed;
    for (const [p, s] of fresh) this.state.set(p, s);
    newOptions.forEach((o, i) => {
      const group = this.paramGroups[i]!;
      // The dict's groups replace the optimizer's, as torch's do: a record it lacks is dropped.
      if (!("initialLr" in o)) delete group.initialLr;
      Object.assign(group, o);
    });
  }

  /**
   * Every param that has a gradient (all validated), with its state (created when missing),
   * batched by options, for work beside the step (e.g. Sophia's Hessian update): no step count
   * changes.
   */
  protected prepareItems(): { options: O; items: UpdateItem[] }[] {
    return planStep(this.paramGroups, (o, where) => this.checkOptions(o, where)).map((plan) => ({
      options: plan.options,
      items: plan.items.map(({ param, grad, where }) => ({ param, grad, where, ...this.stateFor(param, plan.options, plan.key), scratch: {} })),
    }));
  }

  // --- internals -----------------------------------------------------------------------------

  /** defaults + input, checked; from a state dict (fromDict) every option must be present. */
  private mergeOptions(input: Partial<O> & GroupExtras, where: string, fromDict = false): O & GroupExtras {
    return mergeGroupOptions(this.defaults, input, where, (o, w) => this.checkOptions(o, w), fromDict);
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
      if (p.dtype !== "float32" && !isHalf(p.dtype)) fail("ERR_DTYPE", `${name}: expected a float32, bfloat16 or float16 tensor, got ${p.dtype}`);
      if (!isHalf(p.dtype) && (this.precision.masterWeights || this.precision.stochasticRounding)) {
        fail("ERR_DTYPE", `${name}: ${this.precision.masterWeights ? "masterWeights" : "stochasticRounding"} is for bfloat16 / float16 params; this one is ${p.dtype}`);
      }
      device ??= p.device;
      if (p.device !== device) fail("ERR_DEVICE", `${name}: expected a tensor on ${device} (every param of an optimizer shares one device), got one on ${p.device}`);
      const prior = seen.get(p);
      if (prior !== undefined) fail("ERR_INVALID_ARGUMENT", `${name}: this tensor is already a param of this optimizer (param #${prior}); a param may appear only once`);
      seen.set(p, seen.size);
    });
    return { ...this.mergeOptions(rest as Partial<O>, where), params: [...params] };
  }

  private adopt(group: ParamGroup<O>): void {
    this.#dropKept();
    this.#ids = null;
    for (const p of group.params) {
      this.#device ??= p.device;
      p.setRole("params");
    }
    this.paramGroups.push(group);
  }

  /**
   * stateSpec, with 16-bit params' state in their dtype (stateDtype "param": the float32 fields
   * of the param's shape) and their master weight (masterWeights).
   */
  private fullStateSpec(param: Tensor, options: O): StateSpec {
    const spec = this.stateSpec(param, options);
    if (!isHalf(param.dtype)) return spec;
    const out: StateSpec = {};
    const sameShape = (shape: readonly number[]): boolean => shape.length === param.shape.length && shape.every((d, i) => d === param.shape[i]);
    for (const [name, field] of Object.entries(spec)) {
      const inParamDtype = this.precision.stateDtype === "param" && field.dtype === "float32" && sameShape(field.shape);
      out[name] = inParamDtype ? { ...field, dtype: param.dtype } : field;
    }
    if (this.precision.masterWeights) out.master = { dtype: "float32", shape: param.shape, fromParam: true };
    return out;
  }

  /** Undoes stateFor for the tensors it created: frees them, and drops states left empty. */
  private dropCreated(created: Tensor[]): void {
    this.#dropKept();
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
      state = { step: 0, tensors: {}, scalars: { ...this.scalarSpec(options) } };
      this.state.set(param, state);
    }
    let fresh = false;
    for (const [name, field] of Object.entries(this.fullStateSpec(param, options))) {
      if (state.tensors[name]) continue;
      const t = stateTensor(param.device, field.shape, field.dtype, this.paged);
      created?.push(t as Tensor);
      if (field.init) (t as Tensor).set(new Float32Array(t.numel).fill(field.init));
      if (field.fromParam) castInto([t as Tensor], [param]);
      state.tensors[name] = t;
      fresh = true;
    }
    this.#completeFor.set(state, key);
    return { state, fresh };
  }
}
