// test/lr.mixes.test.ts — schedulers built one after another on one optimizer share torch's
// initial-lr record: every ordered pair of kinds (torch's and the LLM schedules) with the second
// built after the first ("after"), inside SequentialLR and inside ChainedScheduler, against
// torch 1.13 (test/fixtures/gen/torch_scheduler_mixes.py: the committed fixture has every pair in
// one mode and 30 steps; CI adds a live one with every pair in every mode and 200 steps). Each
// case is run straight through, and again with a round trip of the optimizer's and the
// scheduler's state dicts at mid-run into freshly built ones (through a checkpoint file for
// every 25th case): the record travels with the optimizer, and loading never resets it.
// Tolerance: 1e-12 relative, as test/lr.test.ts (double-precision evaluations of the same
// formulas; libm's cos/pow may differ in the last bit).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { load, lr, save, SGD, tensor, type Optimizer } from "../src-ts/index.js";
import { fixturePaths, readFixture } from "./helpers/fixtures.js";

interface Spec {
  kind: string;
  name?: string;
  args: Record<string, unknown>;
}
interface MixCase {
  name: string;
  mode: "after" | "sequential" | "chained";
  first: Spec;
  second: Spec;
  steps: number;
  milestone?: number;
  lrs: number[][];
}
interface Driver {
  step(): void;
  stateDict(): unknown;
  loadStateDict(s: unknown): void;
}

const LAMBDAS: Record<string, (e: number) => number> = {
  exp95: (e) => 0.95 ** e,
  inverse: (e) => 1.0 / (1.0 + e),
  const90: () => 0.9,
};

function optimizer(): SGD {
  const a = tensor(new Float32Array(2), [2], { device: "cpu" });
  const b = tensor(new Float32Array(3), [3], { device: "cpu" });
  return new SGD([{ params: [a], lr: 0.1 }, { params: [b], lr: 0.02 }], { lr: 0.1, momentum: 0.9 });
}

function one(opt: Optimizer<object>, spec: Spec): lr.LRScheduler {
  const ns = lr as unknown as Record<string, unknown>;
  if (spec.kind === "llm") return (ns[spec.name!] as (o: unknown, a: unknown) => lr.LRScheduler)(opt, spec.args);
  const ctor = ns[spec.kind] as new (o: unknown, a: unknown) => lr.LRScheduler;
  if (spec.kind === "LambdaLR" || spec.kind === "MultiplicativeLR") return new ctor(opt, (spec.args.lrLambda as string[]).map((n) => LAMBDAS[n]!));
  return new ctor(opt, spec.args);
}

function build(opt: Optimizer<object>, c: MixCase): Driver {
  const a = one(opt, c.first);
  const b = one(opt, c.second);
  if (c.mode === "after") return b as unknown as Driver;
  if (c.mode === "sequential") return new lr.SequentialLR(opt, { schedulers: [a, b], milestones: [c.milestone!] }) as unknown as Driver;
  return new lr.ChainedScheduler([a, b]) as unknown as Driver;
}

const lrsOf = (opt: Optimizer<object>) => opt.paramGroups.map((g) => (g as unknown as { lr: number }).lr);

function close(actual: number, expected: number, what: string): void {
  const rel = actual === expected ? 0 : Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
  assert.ok(rel <= 1e-12, `${what}: ${actual} vs torch ${expected} (relative error ${rel.toExponential(2)})`);
}

const files = fixturePaths("torch_lr").filter((p) => p.endsWith("mixes.json"));
const dir = mkdtempSync(join(tmpdir(), "cuoptim-lr-mixes-"));

for (const file of files) {
  const { cases } = readFixture<{ cases: MixCase[] }>(file);
  const live = file !== files[0];
  test(`${live ? "live: " : ""}${cases.length} scheduler mixes follow torch's lr sequences, straight and across a state round trip`, () => {
    const negative: string[] = [];
    cases.forEach((c, index) => {
      const check = (opt: Optimizer<object>, step: number) => lrsOf(opt).forEach((v, i) => close(v, c.lrs[step]![i]!, `${c.name}, step ${step}, group ${i}`));
      // Straight through.
      const opt = optimizer();
      const driver = build(opt, c);
      check(opt, 0);
      for (let k = 1; k <= c.steps; k++) {
        driver.step();
        check(opt, k);
      }
      // Half way, then into a freshly built optimizer and schedulers (whose construction records
      // the fresh groups' lrs), which load the saved states. Some chains drive an lr below 0 in
      // torch too (the chainable cosine after another schedule): a cuoptim optimizer refuses to
      // step, or load, a negative lr, so those cases run straight through only.
      const half = Math.floor(c.steps / 2);
      if (c.lrs[half]!.some((v) => v < 0)) {
        negative.push(c.name);
        return;
      }
      const optA = optimizer();
      const a = build(optA, c);
      for (let k = 1; k <= half; k++) a.step();
      const optB = optimizer();
      const b = build(optB, c);
      if (index % 25 === 0) {
        const path = join(dir, "mid.safetensors");
        save(path, { params: optA.params(), optimizer: optA, scheduler: a as never });
        load(path, { params: optB.params(), optimizer: optB, scheduler: b as never });
      } else {
        optB.loadStateDict(optA.stateDict());
        b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())));
      }
      check(optB, half);
      for (let k = half + 1; k <= c.steps; k++) {
        b.step();
        check(optB, k);
      }
      for (const o of [opt, optA, optB]) o.free();
    });
    if (process.env.CUOPTIM_TEST_VERBOSE || negative.length) {
      console.log(`    ${file.split("/").slice(-3).join("/")}: ${cases.length} cases; ${negative.length} with a negative lr at mid-run (torch's too) checked straight through only`);
    }
  });
}

test("the issue's example: linear warmup, then cosine, through SequentialLR", () => {
  const opt = optimizer();
  const warm = lr.warmupLinear(opt, { warmupSteps: 5, totalSteps: 1000 });
  const cos = new lr.CosineAnnealingLR(opt, { tMax: 10 });
  const seq = new lr.SequentialLR(opt, { schedulers: [warm, cos], milestones: [5] });
  const got: number[] = [];
  for (let k = 0; k < 10; k++) {
    got.push(lrsOf(opt)[0]!);
    seq.step();
  }
  assert.equal(cos.baseLrs, [0.1, 0.02]);
  const cosine = (t: number) => 0.5 * 0.1 * (1 + Math.cos((Math.PI * t) / 10));
  [0, 0.02, 0.04, 0.06, 0.08, cosine(0), cosine(1), cosine(2), cosine(3), cosine(4)].forEach((v, k) => assert.ok(Math.abs(got[k]! - v) < 1e-12, `step ${k}: ${got[k]} vs ${v}`));
  opt.free();
});

test("the record is in the groups and the optimizer's state dict; resuming needs it", () => {
  const opt = optimizer();
  lr.warmupCosine(opt, { warmupSteps: 3, totalSteps: 10 });
  assert.equal(opt.paramGroups.map((g) => g.initialLr), [0.1, 0.02]);
  assert.equal(opt.stateDict().paramGroups.map((g) => g.initialLr), [0.1, 0.02]);
  const fresh = optimizer();
  assert.throws(() => new lr.StepLR(fresh, { stepSize: 2, lastEpoch: 4 }), /paramGroups\[0\]\.initialLr: missing/);
  fresh.loadStateDict(opt.stateDict());
  const resumed = new lr.StepLR(fresh, { stepSize: 2, lastEpoch: 4 });
  assert.equal(resumed.baseLrs, [0.1, 0.02]);
  for (const o of [opt, fresh]) o.free();
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
