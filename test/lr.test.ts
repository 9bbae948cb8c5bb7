// test/lr.test.ts — learning-rate schedulers: torch's set against torch 1.13 lr sequences
// (test/fixtures/gen/torch_schedulers.py; two param groups, momentum/beta1 where cycled), the LLM
// family against their published formulas written out here, state dicts, bad input.
// Tolerance: 1e-12 relative — both sides are double-precision evaluations of the same formulas;
// only libm's cos/pow may differ in the last bit.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AdamW, CuoptimError, lr, SGD, tensor, type Optimizer } from "../src-ts/index.js";
import { FIXTURES, readFixture } from "./helpers/fixtures.js";

interface Spec {
  kind: string;
  args: Record<string, unknown>;
}
interface Case {
  name: string;
  optimizer?: "SGD" | "AdamW";
  scheduler: Spec;
  steps: number;
  metrics?: number[];
  lrs: number[][];
  momentums: number[][];
}

const LAMBDAS: Record<string, (e: number) => number> = {
  exp95: (e) => 0.95 ** e,
  inverse: (e) => 1.0 / (1.0 + e),
  const90: () => 0.9,
};

function optimizer(kind: "SGD" | "AdamW" = "SGD"): Optimizer<object> {
  const a = tensor(new Float32Array(2), [2], { device: "cpu" });
  const b = tensor(new Float32Array(3), [3], { device: "cpu" });
  return kind === "AdamW" ? new AdamW([{ params: [a], lr: 0.1 }, { params: [b], lr: 0.02 }]) : new SGD([{ params: [a], lr: 0.1 }, { params: [b], lr: 0.02 }], { lr: 0.1, momentum: 0.9 });
}

type Stepper = { step(metric?: number): void; getLastLr(): number[] };
function build(opt: Optimizer<object>, spec: Spec): Stepper {
  const args = { ...spec.args };
  const ctor = (lr as unknown as Record<string, new (o: unknown, a?: unknown, b?: unknown) => Stepper>)[spec.kind];
  if (!ctor) throw new Error(`no scheduler ${spec.kind}`);
  if (spec.kind === "LambdaLR" || spec.kind === "MultiplicativeLR") return new ctor(opt, (args.lrLambda as string[]).map((n) => LAMBDAS[n]!));
  if (spec.kind === "SequentialLR") return new ctor(opt, { milestones: args.milestones, schedulers: (args.schedulers as Spec[]).map((s) => build(opt, s)) });
  if (spec.kind === "ChainedScheduler") return new ctor((args.schedulers as Spec[]).map((s) => build(opt, s)));
  return new ctor(opt, args);
}

function close(actual: number, expected: number, what: string): void {
  const rel = actual === expected ? 0 : Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
  assert.ok(rel <= 1e-12, `${what}: ${actual} vs torch ${expected} (relative error ${rel.toExponential(2)})`);
}

const fixture = readFixture<{ cases: Case[] }>(`${FIXTURES}/torch_lr/schedulers.json`);

for (const c of fixture.cases) {
  test(`${c.scheduler.kind} (${c.name}) follows torch's lr sequence`, () => {
    const opt = optimizer(c.optimizer);
    const s = build(opt, c.scheduler);
    const momentum = (i: number) => {
      const g = opt.paramGroups[i] as unknown as { momentum?: number; betas?: number[] };
      return g.momentum ?? g.betas![0]!;
    };
    const check = (step: number) => {
      c.lrs[step]!.forEach((v, i) => close((opt.paramGroups[i] as unknown as { lr: number }).lr, v, `step ${step} group ${i} lr`));
      c.momentums[step]!.forEach((v, i) => close(momentum(i), v, `step ${step} group ${i} momentum`));
    };
    check(0);
    for (let k = 0; k < c.steps; k++) {
      s.step(c.metrics?.[k]);
      check(k + 1);
      assert.equal(s.getLastLr(), c.lrs[k + 1]!.map((_, i) => (opt.paramGroups[i] as unknown as { lr: number }).lr));
    }
  });
}

// --- the LLM family against its formulas -----------------------------------------------------------
function sequence(make: (o: Optimizer<object>) => Stepper, steps: number): number[] {
  const opt = optimizer();
  const s = make(opt);
  const out = [(opt.paramGroups[0] as unknown as { lr: number }).lr];
  for (let k = 0; k < steps; k++) {
    s.step();
    out.push((opt.paramGroups[0] as unknown as { lr: number }).lr);
    assert.is(s.getLastLr()[1], (opt.paramGroups[1] as unknown as { lr: number }).lr);
  }
  return out;
}

function expectFormula(name: string, make: (o: Optimizer<object>) => Stepper, formula: (t: number) => number, steps: number): void {
  test(`${name} follows its formula`, () => {
    sequence(make, steps).forEach((v, t) => close(v, 0.1 * formula(t), `step ${t}`));
  });
}

// seed 000's lr_lambda: step/warmup, then 0.1 + 0.9 * 0.5 * (1 + cos(pi * progress))
expectFormula("warmupCosine (seed 000: warmup, cosine to 10% of peak)", (o) => lr.warmupCosine(o, { warmupSteps: 20, totalSteps: 100, minRatio: 0.1 }),
  (t) => (t < 20 ? t / 20 : 0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, (t - 20) / 80)))), 120);
expectFormula("warmupLinear", (o) => lr.warmupLinear(o, { warmupSteps: 10, totalSteps: 50 }), (t) => (t < 10 ? t / 10 : Math.max(0, (50 - t) / 40)), 60);
expectFormula("constantWithWarmup", (o) => lr.constantWithWarmup(o, { warmupSteps: 7 }), (t) => (t < 7 ? t / 7 : 1), 20);
expectFormula("inverseSqrt", (o) => lr.inverseSqrt(o, { warmupSteps: 10 }), (t) => (t < 10 ? t / 10 : 1 / Math.sqrt(t / 10)), 60);
expectFormula("cosineWithRestarts", (o) => lr.cosineWithRestarts(o, { warmupSteps: 5, totalSteps: 65, numCycles: 3 }),
  (t) => (t < 5 ? t / 5 : (t - 5) / 60 >= 1 ? 0 : 0.5 * (1 + Math.cos(Math.PI * ((3 * (t - 5)) / 60 % 1)))), 70);
expectFormula("polynomial (power 2)", (o) => lr.polynomial(o, { warmupSteps: 4, totalSteps: 40, power: 2, endRatio: 0.05 }),
  (t) => (t < 4 ? t / 4 : t > 40 ? 0.05 : 0.95 * (1 - (t - 4) / 36) ** 2 + 0.05), 45);
expectFormula("wsd (warmup, stable, 1-sqrt decay)", (o) => lr.wsd(o, { warmupSteps: 10, stableSteps: 30, decaySteps: 20, minRatio: 0.01, decayShape: "1-sqrt" }),
  (t) => (t < 10 ? t / 10 : t < 40 ? 1 : 0.01 + 0.99 * (1 - Math.sqrt(Math.min(1, (t - 40) / 20)))), 70);
expectFormula("wsd (cosine decay)", (o) => lr.wsd(o, { warmupSteps: 0, stableSteps: 5, decaySteps: 10 }),
  (t) => (t < 5 ? 1 : 0.5 * (1 + Math.cos(Math.PI * Math.min(1, (t - 5) / 10)))), 20);

test("the lr before the first step is the schedule's step-0 value, as in torch", () => {
  const opt = optimizer();
  lr.warmupCosine(opt, { warmupSteps: 10, totalSteps: 100 });
  assert.is((opt.paramGroups[0] as unknown as { lr: number }).lr, 0);
});

test("scheduler state dicts resume the same sequence", () => {
  for (const make of [
    (o: Optimizer<object>) => lr.warmupCosine(o, { warmupSteps: 5, totalSteps: 40, minRatio: 0.1 }),
    (o: Optimizer<object>) => new lr.CosineAnnealingWarmRestarts(o, { t0: 3, tMult: 2 }),
    (o: Optimizer<object>) => new lr.StepLR(o, { stepSize: 4, gamma: 0.5 }),
  ]) {
    const full = sequence(make, 30);
    const optA = optimizer();
    const a = make(optA);
    for (let k = 0; k < 12; k++) a.step();
    const saved = JSON.parse(JSON.stringify(a.stateDict()));
    const optB = optimizer();
    const b = make(optB);
    b.loadStateDict(saved);
    (optB.paramGroups[0] as unknown as { lr: number }).lr = (optA.paramGroups[0] as unknown as { lr: number }).lr;
    (optB.paramGroups[1] as unknown as { lr: number }).lr = (optA.paramGroups[1] as unknown as { lr: number }).lr;
    for (let k = 12; k < 30; k++) {
      b.step();
      assert.is((optB.paramGroups[0] as unknown as { lr: number }).lr, full[k + 1], `step ${k + 1}`);
    }
  }
});

test("bad schedule arguments fail at construction", () => {
  const cases: [() => unknown, string][] = [
    [() => lr.warmupCosine(optimizer(), { warmupSteps: 10, totalSteps: 10 }), "totalSteps"],
    [() => lr.warmupCosine(optimizer(), { warmupSteps: -1, totalSteps: 10 }), "warmupSteps"],
    [() => lr.warmupCosine(optimizer(), { warmupSteps: 1, totalSteps: 10, minRatio: 1.5 }), "minRatio"],
    [() => lr.warmupLinear(optimizer(), { warmupSteps: 5, totalSteps: 3 }), "totalSteps"],
    [() => lr.wsd(optimizer(), { warmupSteps: 1, stableSteps: -2, decaySteps: 3 }), "stableSteps"],
    [() => new lr.StepLR(optimizer(), { stepSize: 0 }), "stepSize"],
    [() => new lr.LambdaLR(optimizer(), [(e: number) => e]), "lrLambda"],
    [() => new lr.OneCycleLR(optimizer(), { maxLr: 0.1 }), "totalSteps"],
    [() => new lr.CyclicLR(new AdamW([tensor(new Float32Array(1), [1], { device: "cpu" })]), { baseLr: 0.1, maxLr: 1 }), "cycleMomentum"],
  ];
  for (const [fn, mentions] of cases) {
    assert.throws(fn, (e: unknown) => e instanceof CuoptimError && (e as Error).message.includes(mentions), mentions);
  }
});

test.run();
