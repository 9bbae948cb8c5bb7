// test/distributed/zero.cases.ts — ZeroRedundancyOptimizer against the unsharded optimizer.
//
// Every rank makes its own gradients (seeded by its rank). The reference is the unsharded
// optimizer on every rank, stepped with the gradients averaged by allReduce("avg"); stage 1 gets
// the same averaged gradients, stage 2 each rank's own (it averages them itself). Given the same
// averaged gradients the params must come out bit for bit the same after every step, for every
// optimizer, with clipping, the non-finite guard, 16-bit params and a scheduler; so must the
// consolidated state dict, a state dict loaded on another world size, and a sharded checkpoint.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { allReduce, rank, worldSize, ZeroRedundancyOptimizer, type OptimizerClass } from "../../src-ts/distributed/index.js";
import { allGatherJson } from "../../src-ts/distributed/world.js";
import {
  AdaBound, Adadelta, Adafactor, Adagrad, Adam, Adam8bit, Adamax, AdamW, AdamW8bit, AdamWScheduleFree, AdEMAMix, AdEMAMix8bit, ASGD, CAME, CuoptimError, EMA, GradScaler, LAMB, LARS, LBFGS,
  Lion, Lion8bit, load, lr, Muon, NAdam, RAdam, RMSprop, Rprop, SGD, SGDScheduleFree, save, Shampoo, Sophia, tensor, type Optimizer, type StepOptions, type Tensor,
} from "../../src-ts/index.js";
import { assertBitwiseEqual } from "../helpers/compare.js";
import { initParam, scaled } from "../helpers/synth.js";
import { test } from "./harness.js";

type Dtype = "float32" | "bfloat16" | "float16";
type Groups = { params: Tensor[]; [k: string]: unknown }[];
interface Variant {
  name: string;
  cls: OptimizerClass<object>;
  options: object;
  /** the second group's own options */
  second?: object;
  dtype?: Dtype;
  matricesOnly?: boolean;
}

const SHAPES = [[40, 30], [257], [16, 12], [5], [3, 7]];
const numel = (s: number[]): number => s.reduce((a, b) => a * b, 1);
// cpu (cuda-sim's collectives take the same host path), or cuda in the NCCL job (CUOPTIM_DIST_TEST_DEVICE).
const device = process.env.CUOPTIM_DIST_TEST_DEVICE === "cuda" ? "cuda" : "cpu";

const VARIANTS: Variant[] = [
  { name: "AdamW", cls: AdamW, options: { lr: 1e-2, weightDecay: 0.1 }, second: { lr: 3e-3, weightDecay: 0 } },
  { name: "Adam amsgrad", cls: Adam, options: { lr: 1e-2, amsgrad: true }, second: { lr: 2e-2 } },
  { name: "SGD momentum nesterov", cls: SGD, options: { lr: 1e-2, momentum: 0.9, nesterov: true }, second: { lr: 5e-3 } },
  { name: "RMSprop centered", cls: RMSprop, options: { lr: 1e-3, centered: true, momentum: 0.5 }, second: { lr: 2e-3 } },
  { name: "Lion", cls: Lion, options: { lr: 1e-3, weightDecay: 0.1 }, second: { lr: 2e-3 } },
  { name: "RAdam", cls: RAdam, options: { lr: 1e-2 }, second: { lr: 2e-2 } },
  { name: "NAdam", cls: NAdam, options: { lr: 1e-2 }, second: { lr: 2e-2 } },
  { name: "Adamax", cls: Adamax, options: { lr: 1e-2 }, second: { lr: 2e-2 } },
  { name: "Adadelta", cls: Adadelta, options: { weightDecay: 0.01 }, second: { lr: 0.5 } },
  { name: "Adagrad", cls: Adagrad, options: { lr: 1e-2, lrDecay: 0.1 }, second: { lr: 2e-2 } },
  { name: "ASGD", cls: ASGD, options: { lr: 1e-2, t0: 1 }, second: { lr: 2e-2 } },
  { name: "LARS", cls: LARS, options: { lr: 1e-2, momentum: 0.9 }, second: { lr: 2e-2 } },
  { name: "AdEMAMix", cls: AdEMAMix, options: { lr: 1e-2, tAlpha: 5, tBeta3: 5 }, second: { lr: 2e-2 } },
  { name: "LAMB", cls: LAMB, options: { lr: 1e-2 }, second: { lr: 2e-2 } },
  { name: "Muon", cls: Muon, options: { lr: 1e-2 }, second: { lr: 2e-2 }, matricesOnly: true },
  { name: "AdamWScheduleFree", cls: AdamWScheduleFree, options: { lr: 1e-2, weightDecay: 0.01 }, second: { lr: 2e-2 } },
  { name: "SGDScheduleFree", cls: SGDScheduleFree, options: { lr: 0.1, warmupSteps: 2 }, second: { lr: 0.05 } },
  { name: "Rprop", cls: Rprop, options: { lr: 1e-3 }, second: { lr: 2e-3 } },
  { name: "AdaBound", cls: AdaBound, options: { lr: 1e-2, amsbound: true }, second: { lr: 2e-2 } },
  { name: "Sophia", cls: Sophia, options: { lr: 1e-3, rho: 0.05 }, second: { lr: 2e-3 } },
  { name: "CAME", cls: CAME, options: { lr: 1e-3, weightDecay: 0.05 }, second: { lr: 2e-3 } },
  { name: "Shampoo", cls: Shampoo, options: { lr: 1e-2, startPreconditioningStep: 1, preconditionFrequency: 2 }, second: { lr: 2e-2 } },
  { name: "Adafactor (torch)", cls: Adafactor, options: { weightDecay: 0.1 }, second: { lr: 2e-2 } },
  { name: "Adafactor (transformers, beta1)", cls: Adafactor, options: { variant: "transformers", lr: 1e-3, relativeStep: false, beta1: 0.9 } },
  { name: "Adam8bit", cls: Adam8bit, options: { lr: 1e-3, min8bitSize: 100 }, second: { lr: 2e-3 } },
  { name: "AdamW8bit block 64", cls: AdamW8bit, options: { lr: 1e-3, blockSize: 64, min8bitSize: 100 }, second: { lr: 2e-3 } },
  { name: "Lion8bit", cls: Lion8bit, options: { lr: 1e-3, min8bitSize: 100 }, second: { lr: 2e-3 } },
  { name: "AdEMAMix8bit", cls: AdEMAMix8bit, options: { lr: 1e-3, tAlpha: 5, tBeta3: 5, min8bitSize: 100 }, second: { lr: 2e-3 } },
  // Mixed precision: 16-bit params with float32 masters, stochastic rounding (keyed by each
  // param's index in the whole model, not in the shard), and Adafactor's float32 working copies.
  { name: "AdamW bfloat16 masterWeights", cls: AdamW, options: { lr: 1e-2, masterWeights: true }, second: { lr: 3e-3 }, dtype: "bfloat16" },
  { name: "AdamW bfloat16 stochasticRounding", cls: AdamW, options: { lr: 1e-2, stochasticRounding: true, seed: 7 }, second: { lr: 3e-3 }, dtype: "bfloat16" },
  { name: "Adafactor float16", cls: Adafactor, options: {}, second: { lr: 2e-2 }, dtype: "float16" },
  { name: "AdamW8bit bfloat16 masterWeights", cls: AdamW8bit, options: { lr: 1e-3, masterWeights: true, min8bitSize: 100 }, dtype: "bfloat16" },
];

/** Minimal shape of torch.optim's option names that some variants skip: the keys a variant's options must keep. */
function shapesOf(v: Variant): number[][] {
  return v.matricesOnly ? SHAPES.filter((s) => s.length === 2) : SHAPES;
}

function groupsOf(v: Variant, ps: Tensor[]): Groups {
  // Two groups, each with params of several sizes, so the partition splits both across ranks.
  const first = ps.filter((_, i) => i % 2 === 0);
  const second = ps.filter((_, i) => i % 2 === 1);
  return [{ params: first }, { params: second, ...(v.second ?? {}) }];
}

function makeParams(v: Variant): Tensor[] {
  return shapesOf(v).map((s, i) => tensor(initParam(3, i, numel(s)), s, { device, dtype: v.dtype ?? "float32" }) as unknown as Tensor);
}

/** This rank's gradients for a step (a non-finite one where `poison` says), in the params' dtype. */
function rankGrads(v: Variant, step: number, poison?: (r: number, i: number) => boolean): Float32Array[] {
  return shapesOf(v).map((s, i) => {
    const g = scaled(11 + rank(), i, step, numel(s), 10 ** (i - 2));
    if (poison?.(rank(), i)) g[1] = Number.NaN;
    return g;
  });
}

/** Gradients as tensors of the params' dtype, and their average over the ranks (allReduce, folded in rank order). */
function gradsFor(v: Variant, ps: Tensor[], raw: Float32Array[]): { own: Tensor[]; averaged: Tensor[] } {
  const as = (g: Float32Array, p: Tensor): Tensor => tensor(g, p.shape, { device, dtype: p.dtype as Dtype }) as unknown as Tensor;
  const own = raw.map((g, i) => as(g, ps[i]!));
  const averaged = raw.map((g, i) => as(g, ps[i]!));
  for (const t of averaged) allReduce(t, { op: "avg" });
  return { own, averaged };
}

function assertSameParams(a: Tensor[], b: Tensor[], what: string): void {
  a.forEach((p, i) => {
    const x = p.dtype === "float32" ? (p.toArray() as Float32Array) : new Float32Array((p.toBits() as Uint16Array).map((u) => u));
    const y = b[i]!.dtype === "float32" ? (b[i]!.toArray() as Float32Array) : new Float32Array((b[i]!.toBits() as Uint16Array).map((u) => u));
    assertBitwiseEqual(x, y, `${what}: param ${i}`);
  });
}

function assertSameStateDict(a: { state: Record<number, Record<string, unknown>>; paramGroups: unknown[] }, b: typeof a, what: string): void {
  assert.equal(Object.keys(a.state), Object.keys(b.state), `${what}: state keys`);
  for (const id of Object.keys(a.state)) {
    const x = a.state[Number(id)]!;
    const y = b.state[Number(id)]!;
    assert.equal(Object.keys(x).sort(), Object.keys(y).sort(), `${what}: state[${id}] keys`);
    for (const k of Object.keys(x)) {
      const u = x[k];
      const w = y[k];
      if (typeof u === "number") assert.ok(Object.is(u, w), `${what}: state[${id}].${k}: ${u} vs ${String(w)}`);
      else assertBitwiseEqual(u as Float32Array, w as Float32Array, `${what}: state[${id}].${k}`);
    }
  }
  assert.equal(a.paramGroups, b.paramGroups, `${what}: paramGroups`);
}

interface Pair {
  ref: Optimizer<object>;
  zero: ZeroRedundancyOptimizer<object>;
  refParams: Tensor[];
  zeroParams: Tensor[];
}

function pair(v: Variant, stage: 1 | 2): Pair {
  const refParams = makeParams(v);
  const zeroParams = makeParams(v);
  const ref = new v.cls(groupsOf(v, refParams) as never, v.options);
  const zero = new ZeroRedundancyOptimizer(groupsOf(v, zeroParams) as never, v.cls, { ...v.options, stage });
  return { ref, zero, refParams, zeroParams };
}

/** One step of both with this rank's gradients for `step`. */
function stepBoth(v: Variant, p: Pair, step: number, options: StepOptions = {}, poison?: (r: number, i: number) => boolean): void {
  const raw = rankGrads(v, step, poison);
  const forRef = gradsFor(v, p.refParams, raw);
  const forZero = gradsFor(v, p.zeroParams, raw);
  p.refParams.forEach((q, i) => (q.grad = forRef.averaged[i]!));
  p.zeroParams.forEach((q, i) => (q.grad = p.zero.stage === 1 ? forZero.averaged[i]! : forZero.own[i]!));
  const a = p.ref.step(options);
  const b = p.zero.step(options);
  assert.is(b.applied, a.applied, `step ${step}: applied`);
  assert.ok(Object.is(b.gradNorm, a.gradNorm), `step ${step}: gradNorm ${b.gradNorm} vs ${a.gradNorm}`);
  assertSameParams(p.zeroParams, p.refParams, `step ${step}`);
}

for (const v of VARIANTS) {
  for (const stage of [1, 2] as const) {
    test(`${v.name}, stage ${stage}: params bit for bit the unsharded optimizer's, and the consolidated state dict`, () => {
      const p = pair(v, stage);
      for (let step = 1; step <= 4; step++) stepBoth(v, p, step);
      const to = worldSize() - 1;
      p.zero.consolidateStateDict(to);
      if (rank() === to) assertSameStateDict(p.zero.stateDict() as never, p.ref.stateDict() as never, "consolidated");
      else assert.throws(() => p.zero.stateDict(), (e: Error) => e instanceof CuoptimError && e.code === "ERR_DISTRIBUTED");
    });
  }
}

const ADAMW = VARIANTS[0]!;

for (const stage of [1, 2] as const) {
  test(`stage ${stage}: clipping by the global norm (2 and Infinity) and a scheduler, as unsharded`, () => {
    const p = pair(ADAMW, stage);
    const s1 = lr.warmupCosine(p.ref, { warmupSteps: 2, totalSteps: 6 });
    const s2 = lr.warmupCosine(p.zero, { warmupSteps: 2, totalSteps: 6 });
    for (let step = 1; step <= 6; step++) {
      stepBoth(ADAMW, p, step, { maxGradNorm: 0.5, normType: step % 2 ? 2 : Infinity });
      s1.step();
      s2.step();
    }
  });

  test(`stage ${stage}: a non-finite gradient on one rank skips the step on every rank, nothing changed`, () => {
    const p = pair(ADAMW, stage);
    stepBoth(ADAMW, p, 1, { skipNonFinite: true });
    const last = worldSize() - 1;
    stepBoth(ADAMW, p, 2, { skipNonFinite: true }, (r, i) => r === last && i === 2);
    assert.is(p.zero.skippedSteps, 1);
    assert.is(p.ref.skippedSteps, 1);
    stepBoth(ADAMW, p, 3, { skipNonFinite: true });
  });
}

test("stage 2 with loss scaling (GradScaler: a scaled overflow skips on every rank and backs off) and an EMA of the params, as unsharded", () => {
  const p = pair(ADAMW, 2);
  const scalers = [new GradScaler({ initScale: 1024, growthInterval: 2 }), new GradScaler({ initScale: 1024, growthInterval: 2 })];
  const emas = [new EMA(p.refParams, { decay: 0.9 }), new EMA(p.zeroParams, { decay: 0.9 })];
  for (let step = 1; step <= 5; step++) {
    const scale = scalers[0]!.getScale();
    const raw = rankGrads(ADAMW, step, (r, i) => step === 3 && r === 0 && i === 1).map((g) => g.map((x) => Math.fround(x * scale)));
    const forRef = gradsFor(ADAMW, p.refParams, raw);
    const forZero = gradsFor(ADAMW, p.zeroParams, raw);
    p.refParams.forEach((q, i) => (q.grad = forRef.averaged[i]!));
    p.zeroParams.forEach((q, i) => (q.grad = forZero.own[i]!));
    const a = scalers[0]!.step(p.ref);
    const b = scalers[1]!.step(p.zero);
    assert.is(b.applied, a.applied, `step ${step}: applied`);
    assert.is(a.applied, step !== 3, `step ${step}: only the overflowing step is skipped`);
    scalers.forEach((s) => s.update());
    emas.forEach((e) => e.update());
    assert.is(scalers[1]!.getScale(), scalers[0]!.getScale());
    assertSameParams(p.zeroParams, p.refParams, `step ${step}`);
  }
  const shadow = (e: EMA, params: Tensor[]): Tensor[] => {
    const copies = params.map((q) => tensor(new Float32Array(q.numel), q.shape, { device }) as unknown as Tensor);
    e.copyTo(copies);
    return copies;
  };
  assertSameParams(shadow(emas[1]!, p.zeroParams), shadow(emas[0]!, p.refParams), "EMA");
});

test("addParamGroup: the new group's params are partitioned, earlier params keep their owners, steps stay exact", () => {
  const p = pair(ADAMW, 2);
  stepBoth(ADAMW, p, 1);
  const owners = p.zeroParams.map((q) => p.zero.ownerOf(q));
  const extra = (): Tensor[] => [90, 33, 61].map((n, i) => tensor(initParam(9, i, n), [n], { device }) as unknown as Tensor);
  const [refExtra, zeroExtra] = [extra(), extra()];
  p.ref.addParamGroup({ params: refExtra, lr: 5e-3 } as never);
  p.zero.addParamGroup({ params: zeroExtra, lr: 5e-3 } as never);
  p.zeroParams.forEach((q, i) => assert.is(p.zero.ownerOf(q), owners[i], `param ${i} keeps its owner`));
  for (let step = 2; step <= 3; step++) {
    const all = [...rankGrads(ADAMW, step), ...[90, 33, 61].map((n, i) => scaled(21 + rank(), i, step, n, 0.1))];
    const refAll = [...p.refParams, ...refExtra];
    const zeroAll = [...p.zeroParams, ...zeroExtra];
    const g = gradsFor(ADAMW, refAll, all);
    const h = gradsFor(ADAMW, zeroAll, all);
    refAll.forEach((q, i) => (q.grad = g.averaged[i]!));
    zeroAll.forEach((q, i) => (q.grad = h.own[i]!));
    p.ref.step();
    p.zero.step();
    assertSameParams(zeroAll, refAll, `step ${step}`);
  }
  p.zero.consolidateStateDict(0);
  if (rank() === 0) assertSameStateDict(p.zero.stateDict() as never, p.ref.stateDict() as never, "consolidated after addParamGroup");
});

test("a state dict loads on another world size: the unsharded one into N ranks, the consolidated one into one rank", () => {
  const p = pair(ADAMW, 2);
  for (let step = 1; step <= 2; step++) stepBoth(ADAMW, p, step);
  // 1 -> N: a fresh sharded optimizer over copies of the params takes the unsharded state.
  const copies = p.refParams.map((q) => tensor(q.toArray() as Float32Array, q.shape, { device }) as unknown as Tensor);
  const resumed = new ZeroRedundancyOptimizer(groupsOf(ADAMW, copies) as never, AdamW, { ...ADAMW.options, stage: 2 });
  resumed.loadStateDict(p.ref.stateDict() as never);
  // N -> 1: rank 0 builds an unsharded optimizer from the consolidated dict.
  p.zero.consolidateStateDict(0);
  const single = rank() === 0 ? { params: p.zeroParams.map((q) => tensor(q.toArray() as Float32Array, q.shape, { device }) as unknown as Tensor) } : null;
  const singleOpt = single ? new AdamW(groupsOf(ADAMW, single.params) as never, ADAMW.options) : null;
  if (singleOpt) singleOpt.loadStateDict(p.zero.stateDict() as never);
  for (let step = 3; step <= 4; step++) {
    const raw = rankGrads(ADAMW, step);
    const g = gradsFor(ADAMW, p.refParams, raw);
    p.refParams.forEach((q, i) => (q.grad = g.averaged[i]!));
    copies.forEach((q, i) => (q.grad = g.own[i]!));
    if (single) single.params.forEach((q, i) => (q.grad = g.averaged[i]!));
    p.ref.step();
    resumed.step();
    singleOpt?.step();
    assertSameParams(copies, p.refParams, `1 -> ${worldSize()} ranks, step ${step}`);
    if (single) assertSameParams(single.params, p.refParams, `${worldSize()} ranks -> 1, step ${step}`);
  }
});

test("consolidated checkpoints: an ordinary checkpoint of the whole optimizer, loaded unsharded (N -> 1) and re-partitioned (1 -> N)", () => {
  const dir = allGatherJson(rank() === 0 ? mkdtempSync(join(tmpdir(), "cuoptim-zero-")) : "")[0]!;
  try {
    const p = pair(ADAMW, 2);
    for (let step = 1; step <= 2; step++) stepBoth(ADAMW, p, step);
    const to = worldSize() - 1;
    p.zero.saveConsolidated(join(dir, "whole.safetensors"), { params: p.zeroParams, meta: { step: 2 } }, to);
    // 1 -> N: every rank loads the unsharded reference's own checkpoint into a fresh sharded optimizer.
    if (rank() === 0) save(join(dir, "ref.safetensors"), { optimizer: p.ref, params: p.refParams });
    allGatherJson(null);
    const copies = makeParams(ADAMW);
    const resumed = new ZeroRedundancyOptimizer(groupsOf(ADAMW, copies) as never, AdamW, { ...ADAMW.options, stage: 2 });
    resumed.loadConsolidated(join(dir, "ref.safetensors"), { params: copies });
    assertSameParams(copies, p.refParams, "loaded params");
    // N -> 1: an unsharded AdamW loads the consolidated checkpoint with plain load().
    const single = makeParams(ADAMW);
    const singleOpt = new AdamW(groupsOf(ADAMW, single) as never, ADAMW.options);
    const info = load(join(dir, "whole.safetensors"), { optimizer: singleOpt, params: single });
    assert.equal(info.meta, { step: 2 });
    assertSameStateDict(singleOpt.stateDict() as never, p.ref.stateDict() as never, "unsharded load of the consolidated checkpoint");
    for (let step = 3; step <= 4; step++) {
      const g = gradsFor(ADAMW, p.refParams, rankGrads(ADAMW, step));
      p.refParams.forEach((q, i) => (q.grad = g.averaged[i]!));
      copies.forEach((q, i) => (q.grad = g.own[i]!));
      single.forEach((q, i) => (q.grad = g.averaged[i]!));
      p.ref.step();
      resumed.step();
      singleOpt.step();
      assertSameParams(copies, p.refParams, `1 -> ${worldSize()} ranks, step ${step}`);
      assertSameParams(single, p.refParams, `${worldSize()} ranks -> 1, step ${step}`);
    }
    assert.throws(() => resumed.loadConsolidated(join(dir, "missing.safetensors")), (e: Error) => e instanceof CuoptimError && (e.code === "ERR_IO" || e.code === "ERR_DISTRIBUTED"));
  } finally {
    allGatherJson(null);
    if (rank() === 0) rmSync(dir, { recursive: true, force: true });
  }
});

test("sharded checkpoints: saved and loaded on every rank, resuming bit for bit; a damaged shard is refused on every rank with nothing changed", () => {
  const dir = allGatherJson(rank() === 0 ? mkdtempSync(join(tmpdir(), "cuoptim-zero-")) : "")[0]!;
  try {
    const p = pair(ADAMW, 1);
    for (let step = 1; step <= 2; step++) stepBoth(ADAMW, p, step);
    p.zero.saveSharded(dir, { params: p.zeroParams, meta: { step: 2 } });
    p.zero.saveSharded(dir, { params: p.zeroParams, meta: { step: 2 } }); // a second save replaces the first
    const copies = makeParams(ADAMW);
    const resumed = new ZeroRedundancyOptimizer(groupsOf(ADAMW, copies) as never, AdamW, { ...ADAMW.options, stage: 1 });
    const { meta } = resumed.loadSharded(dir, { params: copies });
    assert.equal(meta, { step: 2 });
    assertSameParams(copies, p.refParams, "loaded params");
    for (let step = 3; step <= 4; step++) {
      const g = gradsFor(ADAMW, p.refParams, rankGrads(ADAMW, step));
      p.refParams.forEach((q, i) => (q.grad = g.averaged[i]!));
      copies.forEach((q, i) => (q.grad = g.averaged[i]!));
      p.ref.step();
      resumed.step();
      assertSameParams(copies, p.refParams, `resumed, step ${step}`);
    }
    // Damage the last rank's shard: every rank refuses, and nothing it holds changes.
    const index = JSON.parse(readFileSync(join(dir, "zero-index.json"), "utf8")) as { shards: string[] };
    if (rank() === 0) {
      const shard = join(dir, index.shards[worldSize() - 1]!);
      const bytes = readFileSync(shard);
      bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0xff;
      writeFileSync(shard, bytes);
    }
    allGatherJson(null);
    const before = copies.map((q) => q.toArray() as Float32Array);
    const stateBefore = [...resumed.optim.state.values()].flatMap((s) => Object.values(s.tensors).map((t) => t.toArray()));
    assert.throws(() => resumed.loadSharded(dir, { params: copies }), (e: Error) => e instanceof CuoptimError && (e.code === "ERR_CHECKPOINT" || e.code === "ERR_DISTRIBUTED"));
    copies.forEach((q, i) => assertBitwiseEqual(q.toArray() as Float32Array, before[i]!, `param ${i} unchanged`));
    const stateAfter = [...resumed.optim.state.values()].flatMap((s) => Object.values(s.tensors).map((t) => t.toArray()));
    stateAfter.forEach((a, i) => assertBitwiseEqual(a as Float32Array, stateBefore[i] as Float32Array, `state ${i} unchanged`));
  } finally {
    allGatherJson(null);
    if (rank() === 0) rmSync(dir, { recursive: true, force: true });
  }
});

test("each rank holds only its partition's state, balanced as torch partitions (largest first, least-loaded rank)", () => {
  const p = pair(ADAMW, 1);
  stepBoth(ADAMW, p, 1);
  const owned = p.zeroParams.filter((q) => p.zero.ownerOf(q) === rank());
  assert.equal([...p.zero.optim.state.keys()].sort((a, b) => a.numel - b.numel), [...owned].sort((a, b) => a.numel - b.numel), "state for the owned params only");
  const bytes = [...p.zero.optim.state.values()].reduce((n, s) => n + Object.values(s.tensors).reduce((m, t) => m + t.bytes, 0), 0);
  assert.is(bytes, owned.reduce((n, q) => n + 2 * 4 * q.numel, 0), "AdamW: two float32 moments per owned element");
  // torch's greedy partition of these sizes (group by group, largest first, to the least-loaded
  // rank, the lowest on a tie), written out independently.
  const load = new Array<number>(worldSize()).fill(0);
  const expected = new Map<Tensor, number>();
  for (const g of groupsOf(ADAMW, p.zeroParams)) {
    for (const q of [...g.params].sort((a, b) => b.numel - a.numel)) {
      const r = load.indexOf(Math.min(...load));
      expected.set(q, r);
      load[r] = load[r]! + q.numel;
    }
  }
  p.zeroParams.forEach((q, i) => assert.is(p.zero.ownerOf(q), expected.get(q), `owner of param ${i}`));
  p.ref.free();
  p.zero.free();
});

/** Expects `act` to throw on every rank (its own error where the rank itself was wrong, else ERR_DISTRIBUTED). */
function refusedEverywhere(what: string, act: () => void, own?: string): void {
  let caught: unknown = null;
  try {
    act();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof CuoptimError, `${what}: expected a CuoptimError on rank ${rank()}, got ${String(caught)}`);
  const code = (caught as CuoptimError).code;
  assert.ok(code === "ERR_DISTRIBUTED" || code === own, `${what}: ${code}: ${(caught as Error).message}`);
}

const odd = (): boolean => rank() === worldSize() - 1;

test("bad input: params that differ across ranks, grads on different params, different or invalid step options; nothing changes", () => {
  refusedEverywhere("different params", () => {
    const ps = makeParams(ADAMW);
    if (odd()) ps[1] = tensor(new Float32Array(258), [258], { device }) as unknown as Tensor;
    new ZeroRedundancyOptimizer(groupsOf(ADAMW, ps) as never, AdamW, ADAMW.options);
  });
  const p = pair(ADAMW, 2);
  stepBoth(ADAMW, p, 1);
  const before = p.zeroParams.map((q) => q.toArray() as Float32Array);
  const g = gradsFor(ADAMW, p.zeroParams, rankGrads(ADAMW, 2));
  p.zeroParams.forEach((q, i) => (q.grad = g.own[i]!));
  if (odd()) p.zeroParams[3]!.grad = null;
  refusedEverywhere("grads on different params", () => p.zero.step());
  p.zeroParams.forEach((q, i) => (q.grad = g.own[i]!));
  refusedEverywhere("different step options", () => p.zero.step(odd() ? { maxGradNorm: 1 } : {}));
  refusedEverywhere("a rank's invalid step options", () => p.zero.step(odd() ? { gradScale: -1 } : {}), "ERR_RANGE");
  refusedEverywhere("a rank's invalid grad", () => {
    if (odd()) p.zeroParams[0]!.grad = tensor(new Float32Array(5), [5], { device }) as unknown as Tensor;
    p.zero.step();
  }, "ERR_SHAPE");
  p.zeroParams.forEach((q, i) => assertBitwiseEqual(q.toArray() as Float32Array, before[i]!, `param ${i} unchanged`));
  assert.throws(() => new ZeroRedundancyOptimizer(makeParams(ADAMW), AdamW, { stage: 3 as never }), (e: Error) => e instanceof CuoptimError && e.code === "ERR_INVALID_ARGUMENT" && /stage/.test(e.message));
  assert.throws(() => new ZeroRedundancyOptimizer(makeParams(ADAMW), LBFGS as never), (e: Error) => e instanceof CuoptimError && e.code === "ERR_INVALID_ARGUMENT" && /LBFGS/.test(e.message));
});
