// src-ts/distributed/zero.ts — ZeroRedundancyOptimizer (torch.distributed.optim's name and
// semantics; Rajbhandari et al. 2020, "ZeRO: Memory Optimizations Toward Training Trillion
// Parameter Models", stages 1 and 2) over any cuoptim optimizer.
//
// Whole params are partitioned over the ranks as torch does: group by group, largest first, each
// to the rank with the fewest elements so far. Each rank builds the chosen optimizer over its
// partition only (its state, 8-bit blocks and factored statistics included, is exactly the
// unsharded optimizer's for those params) and steps it; then every updated param is broadcast
// from its owner. Stage 1 takes gradients the caller has averaged already (allReduce "avg");
// stage 2 averages each gradient onto its owner alone (reduce "avg"), so only the owner's copy
// of a gradient is used. Collectives fold ranks in rank order, and the global gradient norm is
// every rank's per-tensor totals combined in the unsharded optimizer's order, so given the same
// averaged gradients the params come out bit for bit as the unsharded optimizer's.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../checkpoint/atomic_write.js";
import { prepareLoad, save, type CheckpointableScheduler } from "../checkpoint/checkpoint.js";
import type { EMA } from "../ema.js";
import { fail } from "../errors.js";
import { native } from "../native.js";
import { Optimizer, paramIdOverrides, wholeGradNormOverrides } from "../optim/optimizer.js";
import { guardStep, parseStepOptions, planStep, type ParsedStepOptions, type StepPlan } from "../optim/plan.js";
import { groupOptions } from "../optim/prepared.js";
import type { CommonOptions, ParamGroup, ParamGroupInput, ParamsInput, StateDict, StepOptions, StepResult } from "../optim/types.js";
import type { Tensor } from "../tensor.js";
import { optionsObject } from "../validate.js";
import { packEntries, unpackEntries, type Entries } from "./state_bytes.js";
import { allGatherBytes, allGatherJson, gatherBytes, rank as worldRank, worldSize as worldSizeOf } from "./world.js";

/** ZeroRedundancyOptimizer's own options (the rest go to the optimizer class). */
export interface ZeroOptions {
  /**
   * 1: optimizer state sharded; step() takes gradients already averaged over the ranks.
   * 2: gradients sharded too; step() averages each gradient onto the rank that owns its param.
   * Default: 1.
   */
  stage?: 1 | 2;
}

/** A cuoptim optimizer class (AdamW, Adafactor, AdamW8bit, ...): what ZeroRedundancyOptimizer shards. */
export type OptimizerClass<O extends object> = new (params: ParamsInput<O>, options: Partial<O> & CommonOptions) => Optimizer<O>;

/** What saveSharded() writes besides the optimizer state: all optional, kept in rank 0's shard (every rank holds the same). */
export interface ShardedContents {
  params?: Record<string, Tensor> | Tensor[];
  scheduler?: CheckpointableScheduler;
  ema?: EMA;
  /** Any JSON value, in the index. */
  meta?: unknown;
}

const INDEX = "zero-index.json";
const INDEX_FORMAT = "cuoptim-zero-1";

interface ShardIndex {
  format: string;
  optimizer: string;
  stage: 1 | 2;
  worldSize: number;
  /** Each rank's params, as indices into the whole model's params. */
  partition: number[][];
  shards: string[];
  meta: unknown;
}

/**
 * Shards the state of any cuoptim optimizer over the ranks of a distributed job (call
 * distributed.init() first): `new ZeroRedundancyOptimizer(params, AdamW, { lr: 3e-4, stage: 2 })`.
 * paramGroups are the whole model's (schedulers drive them as usual); `optim` is this rank's
 * optimizer over its partition. Every rank must build it over the same params, and make the same
 * calls in the same order.
 */
export class ZeroRedundancyOptimizer<O extends object> {
  /** This rank's optimizer, over its partition only (torch: `.optim`). */
  readonly optim: Optimizer<O>;
  readonly stage: 1 | 2;
  readonly rank: number;
  readonly worldSize: number;
  /** Steps skipped because the gradients were not finite (on any rank: a skip is everyone's). */
  skippedSteps = 0;
  /** Every param and group: options, validation and grads; it never steps, so it holds no state. */
  readonly #whole: Optimizer<O>;
  readonly #optimizerClass: OptimizerClass<O>;
  readonly #owner = new Map<Tensor, number>();
  /** Elements per rank so far (torch's greedy partition carries them across groups). */
  readonly #load: number[];
  #consolidated: { to: number; dict: StateDict<O> } | null = null;

  constructor(params: ParamsInput<O>, optimizerClass: OptimizerClass<O>, options: Partial<O> & CommonOptions & ZeroOptions = {}) {
    const { stage = 1, ...rest } = optionsObject(options, "options") as Partial<O> & CommonOptions & ZeroOptions;
    const optimizerOptions = rest as Partial<O> & CommonOptions;
    if (stage !== 1 && stage !== 2) fail("ERR_INVALID_ARGUMENT", `options.stage: expected 1 (sharded state) or 2 (sharded state and gradients), got ${String(stage)}`);
    if (typeof optimizerClass !== "function" || !(optimizerClass.prototype instanceof Optimizer)) {
      fail("ERR_INVALID_ARGUMENT", "optimizerClass: expected a cuoptim optimizer class such as AdamW (LBFGS and Lookahead are not sharded)");
    }
    this.rank = worldRank();
    this.worldSize = worldSizeOf();
    this.stage = stage;
    this.#optimizerClass = optimizerClass;
    this.#whole = new optimizerClass(params, optimizerOptions);
    this.#agreeOnParams("ZeroRedundancyOptimizer", this.#whole.paramGroups);
    this.#load = new Array<number>(this.worldSize).fill(0);
    const owned = this.#whole.paramGroups.map((g) => this.#partition(g.params));
    this.optim = new optimizerClass(
      owned.map((ps, i) => ({ ...groupOptions(this.#whole.paramGroups[i]!), params: ps }) as ParamGroupInput<O>),
      optimizerOptions,
    );
    this.#numberParams();
  }

  /** The whole model's param groups (every param, every option); a change applies at the next step on every rank that makes it. */
  get paramGroups(): ParamGroup<O>[] {
    return this.#whole.paramGroups;
  }

  get defaults(): Readonly<O> {
    return this.#whole.defaults;
  }

  /** Every param of the model, in group order. */
  params(): Tensor[] {
    return this.#whole.params();
  }

  /** The rank whose optimizer updates `param`. */
  ownerOf(param: Tensor): number {
    const r = this.#owner.get(param);
    if (r === undefined) fail("ERR_INVALID_ARGUMENT", "ownerOf: param: not a param of this optimizer");
    return r;
  }

  /** Adds a group (the same on every rank); its params are partitioned as the constructor's were, so earlier params keep their owners. */
  addParamGroup(group: ParamGroupInput<O>): void {
    this.#whole.addParamGroup(group);
    const added = this.#whole.paramGroups[this.#whole.paramGroups.length - 1]!;
    try {
      this.#agreeOnParams("addParamGroup", [added]);
    } catch (e) {
      this.#whole.paramGroups.pop();
      throw e;
    }
    this.optim.addParamGroup({ ...groupOptions(added), params: this.#partition(added.params) } as ParamGroupInput<O>);
    this.#numberParams();
  }

  /**
   * One step of every param that has a gradient, on every rank (all call it, with the same
   * options and the same params holding gradients). Stage 2 first averages each gradient onto
   * its owner. Clipping and the non-finite guard use the norm of all gradients; a step skipped
   * on one rank is skipped on all. Each rank then steps its partition, and each updated param is
   * broadcast from its owner.
   */
  step(options: StepOptions = {}): StepResult {
    this.#consolidated = null;
    let parsed: ParsedStepOptions | null = null;
    let plans: StepPlan<O>[] = [];
    let error: unknown = null;
    try {
      parsed = parseStepOptions(options);
      plans = planStep(this.#whole.paramGroups, (o, where) => this.#whole["checkOptions"](o, where));
    } catch (e) {
      error = e;
    }
    const grads = this.params().map((p) => (p.grad ? 1 : 0)).join("");
    this.#agree("step", { grads, options: parsed && { ...parsed, maxNorm: parsed.maxNorm ?? null } }, error);
    const items = plans.flatMap((plan) => plan.items);
    if (this.stage === 2) for (const it of items) native.distReduce(it.grad.native, this.#owner.get(it.param)!, "avg");
    const { skip, gradNorm, gradScale } = guardStep(plans, parsed!, (_grads, normType) => this.#globalNorm(items, normType));
    if (skip) {
      this.skippedSteps += 1;
      return { applied: false, gradNorm, updated: 0 };
    }
    this.#syncGroups();
    // LAMB clips by the norm of every gradient, in param order: computed here on every rank.
    if (this.#whole["readsWholeGradNorm"]) {
      const withGrad = this.params().flatMap((p) => (p.grad ? [{ param: p, grad: p.grad }] : []));
      wholeGradNormOverrides.set(this.optim, this.#globalNorm(withGrad, 2));
    }
    try {
      if (items.some((it) => this.#owner.get(it.param) === this.rank)) this.optim.step({ gradScale });
      else if (items.length === 0) this.#whole.step(); // no grads anywhere: the unsharded optimizer's warning, nothing else
    } finally {
      wholeGradNormOverrides.delete(this.optim);
    }
    for (const it of items) native.distBroadcast(it.param.native, this.#owner.get(it.param)!);
    return { applied: true, gradNorm, updated: items.length };
  }

  /** Clears every param's gradient (Optimizer.zeroGrad). */
  zeroGrad(options?: { setToNone?: boolean }): void {
    this.#whole.zeroGrad(options);
  }

  /**
   * Gathers every rank's state on rank `to` (default 0), where stateDict() then returns the
   * whole optimizer's state dict, the unsharded optimizer's to the bit. Every rank calls it.
   */
  consolidateStateDict(to = 0): void {
    if (!Number.isInteger(to) || to < 0 || to >= this.worldSize) fail("ERR_RANGE", `consolidateStateDict: to: expected a rank in [0, ${this.worldSize}), got ${String(to)}`);
    const local = this.optim.stateDict();
    const global = this.#globalIndex();
    const localParams = this.optim.params();
    const mine: Entries = {};
    for (const [id, entry] of Object.entries(local.state)) mine[global.get(localParams[Number(id)]!)!] = entry as Entries[number];
    const parts = gatherBytes(packEntries(mine), to);
    this.#consolidated = null;
    if (!parts) return;
    const merged: Entries = Object.assign({}, ...parts.map(unpackEntries));
    const state: Entries = {};
    for (const id of Object.keys(merged).map(Number).sort((a, b) => a - b)) state[id] = merged[id]!;
    const { state: _state, paramGroups: _groups, ...extras } = local;
    this.#consolidated = { to, dict: { ...extras, state, paramGroups: this.#wholeGroups() } as StateDict<O> };
  }

  /** The whole state dict, on the rank consolidateStateDict() gathered it to (until the next step). */
  stateDict(): StateDict<O> {
    if (!this.#consolidated) {
      fail("ERR_DISTRIBUTED", `stateDict: rank ${this.rank} holds only its own shard; call consolidateStateDict(to) on every rank first (and stateDict() on rank to), after the last step`);
    }
    return this.#consolidated.dict;
  }

  /**
   * Loads a whole state dict (a consolidated one, or an unsharded optimizer's; from any world
   * size): each rank takes its partition's entries. Every rank calls it with the same dict; it is
   * checked on every rank before any rank changes.
   */
  loadStateDict(dict: StateDict<O>): void {
    let local: StateDict<O> | null = null;
    let error: unknown = null;
    try {
      this.#whole.checkStateDict(dict);
      local = this.#localDict(dict);
      this.optim.checkStateDict(local);
    } catch (e) {
      error = e;
    }
    this.#agree("loadStateDict", {}, error);
    this.optim.loadStateDict(local!);
    dict.paramGroups.forEach((g, i) => {
      const { params: _params, ...groupRest } = g;
      const group = this.#whole.paramGroups[i]!;
      if (!("initialLr" in groupRest)) delete group.initialLr;
      Object.assign(group, structuredClone(groupRest));
    });
    this.#consolidated = null;
  }

  /**
   * An ordinary cuoptim checkpoint of the whole optimizer (save()'s format: it loads into the
   * unsharded optimizer with load(), and into a ZeroRedundancyOptimizer on any world size with
   * loadConsolidated()), written by rank `to` (default 0) with `contents`' params, scheduler, EMA
   * and meta. Every rank calls it; rank `to` holds the whole state while it writes.
   */
  saveConsolidated(path: string, contents: ShardedContents = {}, to = 0): void {
    this.consolidateStateDict(to);
    let error: unknown = null;
    if (this.rank === to) {
      try {
        this.#withWholeState(this.#consolidated!.dict, () => save(path, { optimizer: this.#whole, ...optionsObject(contents, "saveConsolidated: contents") }));
      } catch (e) {
        error = e;
      }
    }
    this.#agree("saveConsolidated", {}, error);
  }

  /**
   * Loads a checkpoint of the whole optimizer (saveConsolidated()'s, or save()'s of the unsharded
   * optimizer) on any world size, re-partitioned: each rank keeps its partition's state, and
   * `into`'s params, scheduler and EMA. Every rank reads the file and holds the whole state for a
   * moment; the file is checked on every rank before any rank changes anything.
   */
  loadConsolidated(path: string, into: Omit<ShardedContents, "meta"> = {}): void {
    let apply: (() => void) | null = null;
    let error: unknown = null;
    try {
      apply = prepareLoad(path, { optimizer: this.#whole, ...optionsObject(into, "loadConsolidated: into") }).apply;
    } catch (e) {
      error = e;
    }
    this.#agree("loadConsolidated", {}, error);
    try {
      apply!();
      this.loadStateDict(this.#whole.stateDict());
    } finally {
      this.#dropWholeState();
    }
  }

  /**
   * A sharded checkpoint in `dir`: one safetensors file per rank (its optimizer state; rank 0's
   * also holds `contents`' params, scheduler and EMA) and an index, `zero-index.json`, written
   * last by rank 0. Each file is written atomically under a name new to this save, and the index
   * names them only once every rank has written its own, so the directory always holds one
   * complete checkpoint (the new one, or the one before). Every rank calls it.
   */
  saveSharded(dir: string, contents: ShardedContents = {}): void {
    if (typeof dir !== "string" || dir === "") fail("ERR_INVALID_ARGUMENT", "saveSharded: dir: expected a non-empty string");
    const { meta = null, ...targets } = optionsObject(contents, "saveSharded: contents");
    const generation = allGatherJson(randomBytes(6).toString("hex"))[0]!;
    const shards = Array.from({ length: this.worldSize }, (_, r) => `zero-${generation}-rank${r}-of${this.worldSize}.safetensors`);
    let error: unknown = null;
    try {
      mkdirSync(dir, { recursive: true });
      save(join(dir, shards[this.rank]!), { optimizer: this.optim, ...(this.rank === 0 ? targets : {}) });
    } catch (e) {
      error = e;
    }
    this.#agree("saveSharded", {}, error);
    const index: ShardIndex = { format: INDEX_FORMAT, optimizer: this.#optimizerClass.name, stage: this.stage, worldSize: this.worldSize, partition: this.#partitionIds(), shards, meta };
    if (this.rank === 0) writeFileAtomic(join(dir, INDEX), () => [new TextEncoder().encode(`${JSON.stringify(index, null, 1)}\n`)]);
    this.#agree("saveSharded", {}, null);
    // The index names the new shards now: each rank removes its own earlier ones.
    for (const f of readdirSync(dir)) if (/^zero-[0-9a-f]+-rank\d+-of\d+\.safetensors$/.test(f) && f.includes(`-rank${this.rank}-`) && f !== shards[this.rank]) unlinkSync(join(dir, f));
  }

  /**
   * Loads a checkpoint saveSharded() wrote, on the same world size and partition: each rank its
   * own shard, and `into`'s params, scheduler and EMA from rank 0's. Every file is checked on
   * every rank before any rank changes anything. (A different world size: load a consolidated
   * state dict with loadStateDict(), which re-partitions it.)
   */
  loadSharded(dir: string, into: Omit<ShardedContents, "meta"> = {}): { meta: unknown } {
    let apply: (() => void)[] = [];
    let index: ShardIndex | null = null;
    let error: unknown = null;
    try {
      index = this.#readIndex(dir);
      const mine = prepareLoad(join(dir, index.shards[this.rank]!), { optimizer: this.optim });
      const shared = Object.keys(optionsObject(into, "loadSharded: into")).length ? prepareLoad(join(dir, index.shards[0]!), into) : null;
      apply = [mine.apply, ...(shared ? [shared.apply] : [])];
    } catch (e) {
      error = e;
    }
    this.#agree("loadSharded", {}, error);
    for (const f of apply) f();
    this.#consolidated = null;
    return { meta: index!.meta };
  }

  /** Frees this rank's state (Optimizer.free()); the optimizer is done with. */
  free(): void {
    this.optim.free();
    this.#whole.free();
  }

  // --- internals -----------------------------------------------------------------------------

  /** Runs `f` while the never-stepped whole optimizer holds `dict`'s state, then frees it again. */
  #withWholeState(dict: StateDict<O>, f: () => void): void {
    try {
      this.#whole.loadStateDict(dict);
      f();
    } finally {
      this.#dropWholeState();
    }
  }

  #dropWholeState(): void {
    this.#whole.loadStateDict({ state: {}, paramGroups: this.#wholeGroups() } as StateDict<O>);
  }

  /** The whole model's groups as a state dict holds them (params as indices), Optimizer.stateDict()'s. */
  #wholeGroups(): StateDict<O>["paramGroups"] {
    let next = 0;
    return this.#whole.paramGroups.map((g) => {
      const { params, ...groupRest } = g;
      return { ...structuredClone(groupRest), params: params.map(() => next++) } as StateDict<O>["paramGroups"][number];
    });
  }

  /** torch's greedy partition of one group: largest first, each to the least-loaded rank (the lowest on a tie); returns this rank's, in that order. */
  #partition(params: readonly Tensor[]): Tensor[] {
    const mine: Tensor[] = [];
    const bySize = [...params].sort((a, b) => b.numel - a.numel);
    for (const p of bySize) {
      let r = 0;
      for (let q = 1; q < this.worldSize; q++) if (this.#load[q]! < this.#load[r]!) r = q;
      this.#owner.set(p, r);
      this.#load[r]! += p.numel;
      if (r === this.rank) mine.push(p);
    }
    return mine;
  }

  #globalIndex(): Map<Tensor, number> {
    return new Map(this.params().map((p, i) => [p, i]));
  }

  /** Each rank's params, as indices into the whole model's. */
  #partitionIds(): number[][] {
    const out: number[][] = Array.from({ length: this.worldSize }, () => []);
    this.params().forEach((p, i) => out[this.#owner.get(p)!]!.push(i));
    return out;
  }

  /** The local optimizer rounds (stochastic rounding) with the whole model's param numbering. */
  #numberParams(): void {
    paramIdOverrides.set(this.optim, this.#globalIndex());
  }

  /** The whole model's group options, copied into this rank's groups before a step. */
  #syncGroups(): void {
    this.#whole.paramGroups.forEach((g, i) => Object.assign(this.optim.paramGroups[i]!, structuredClone(groupOptions(g))));
  }

  /** A whole dict's entries for this rank's params, numbered as its optimizer numbers them. */
  #localDict(dict: StateDict<O>): StateDict<O> {
    const global = this.#globalIndex();
    const state: StateDict<O>["state"] = {};
    this.optim.params().forEach((p, k) => {
      const entry = dict.state[global.get(p)!];
      if (entry !== undefined) state[k] = entry;
    });
    let next = 0;
    const paramGroups = dict.paramGroups.map((g, i) => ({ ...g, params: this.optim.paramGroups[i]!.params.map(() => next++) }));
    const { state: _state, paramGroups: _groups, ...extras } = dict;
    return { ...extras, state, paramGroups } as StateDict<O>;
  }

  #readIndex(dir: string): ShardIndex {
    const path = join(dir, INDEX);
    const bad = (what: string): never => fail("ERR_CHECKPOINT", `${path}: ${what}`);
    if (!existsSync(path)) bad("missing: not a sharded checkpoint (saveSharded writes it last)");
    let index: ShardIndex;
    try {
      index = JSON.parse(readFileSync(path, "utf8")) as ShardIndex;
    } catch (e) {
      return bad(`not JSON (${(e as Error).message})`);
    }
    if (typeof index !== "object" || index === null || index.format !== INDEX_FORMAT) bad(`not a cuoptim sharded checkpoint index (format ${JSON.stringify((index as { format?: unknown })?.format)})`);
    if (index.optimizer !== this.#optimizerClass.name) bad(`holds ${index.optimizer} state; this ZeroRedundancyOptimizer shards ${this.#optimizerClass.name}`);
    if (index.worldSize !== this.worldSize) bad(`was written by ${index.worldSize} ranks; this job has ${this.worldSize} (to change the world size, consolidateStateDict() and loadStateDict() the whole dict)`);
    if (!Array.isArray(index.shards) || index.shards.length !== this.worldSize || index.shards.some((s) => typeof s !== "string" || s.includes("/") || s.includes("\\"))) bad("shards: expected one file name per rank");
    if (JSON.stringify(index.partition) !== JSON.stringify(this.#partitionIds())) bad("partition: the params are partitioned differently (another model, or other param groups)");
    return index;
  }

  /** Checks that every rank built this optimizer over params of the same dtypes and shapes, group by group. */
  #agreeOnParams(what: string, groups: readonly ParamGroup<O>[]): void {
    const mine = groups.map((g) => g.params.map((p) => `${p.dtype}[${p.shape.join(", ")}] on ${p.device}`));
    const all = allGatherJson(mine);
    all.forEach((theirs, r) => {
      mine.forEach((ps, i) => {
        const t = theirs[i];
        if (!t || t.length !== ps.length) fail("ERR_DISTRIBUTED", `${what}: rank ${r} has ${t ? t.length : "no"} params in paramGroups[${i}], rank ${this.rank} has ${ps.length}; every rank must pass the same params`);
        ps.forEach((p, j) => {
          if (t[j] !== p) fail("ERR_DISTRIBUTED", `${what}: paramGroups[${i}].params[${j}] is ${t[j]} on rank ${r} but ${p} on rank ${this.rank}; every rank must pass the same params`);
        });
      });
      if (theirs.length !== mine.length) fail("ERR_DISTRIBUTED", `${what}: rank ${r} has ${theirs.length} param groups, rank ${this.rank} has ${mine.length}`);
    });
  }

  /**
   * Makes every rank agree before anything changes: each says whether its own checks failed and
   * what it is about to do (`note`); a rank whose checks failed throws its own error, and every
   * other rank an ERR_DISTRIBUTED naming it; notes that differ are an error on every rank.
   */
  #agree(what: string, note: object, error: unknown): void {
    const all = allGatherJson({ error: error ? String((error as Error).message ?? error) : null, note });
    if (error) throw error;
    all.forEach((n, r) => {
      if (n.error) fail("ERR_DISTRIBUTED", `${what}: rank ${r} failed (${n.error}); nothing was changed on any rank`);
    });
    const mine = JSON.stringify(note);
    all.forEach((n, r) => {
      if (JSON.stringify(n.note) !== mine) fail("ERR_DISTRIBUTED", `${what}: rank ${r} was called differently from rank ${this.rank} (${JSON.stringify(n.note)} vs ${mine}); every rank must pass the same options and have grads for the same params`);
    });
  }

  /**
   * The norm of the gradients in `items`, in that order: each rank's per-tensor totals for the
   * params it owns, gathered and combined as gradNorm combines them (src-native/norm_ops.cc), so
   * the norm, and the clip coefficient, are the unsharded optimizer's to the bit.
   */
  #globalNorm(items: readonly { param: Tensor; grad: Tensor }[], normType: number): number {
    const totals = new Float64Array(items.length);
    const ownedAt = items.flatMap((it, k) => (this.#owner.get(it.param) === this.rank ? [k] : []));
    if (ownedAt.length) {
      const mine = native.gradNormTotals(ownedAt.map((k) => items[k]!.grad.native), normType);
      ownedAt.forEach((k, j) => (totals[k] = mine[j]!));
    }
    const all = allGatherBytes(new Uint8Array(totals.buffer)).map((b) => new Float64Array(b.slice().buffer));
    const inf = normType === Infinity;
    let total = 0;
    items.forEach((it, k) => {
      const t = all[this.#owner.get(it.param)!]![k]!;
      total = inf ? nanMax(total, t) : total + t;
    });
    return inf ? total : Math.sqrt(total);
  }
}

/** kernels/math/common.cuh's nan_max_d. */
function nanMax(a: number, b: number): number {
  return a !== a || b !== b ? a + b : a > b ? a : b;
}
