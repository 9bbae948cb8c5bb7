// test/cpu.determinism.test.ts — the cpu backend gives the same bits for any thread count and on
// every instruction set it can pick (avx512 / avx2 / baseline), as DESIGN.md requires.
import { test } from "uvu";
import { underEveryIsa } from "./helpers/isa.js";
import * as assert from "uvu/assert";
import { AdaBound, Adafactor, Adagrad, Adam, Adamax, AdamW, AdamW8bit, CAME, Lion, Lion8bit, Lookahead, NAdam, numThreads, RAdam, RMSprop, setNumThreads, SGD, Sophia, tensor, Adadelta, Rprop, ASGD, AdEMAMix, SGDScheduleFree, AdamWScheduleFree, LAMB, Muon, AdEMAMix8bit } from "../src-ts/index.js";
import { TfjsAdadelta, TfjsAdagrad, TfjsAdam, TfjsAdamax, TfjsMomentum, TfjsRMSprop } from "../src-ts/tfjs/semantics.js";
import { assertBitwiseEqual } from "./helpers/compare.js";
import { stateArrays, type AnyOptimizer } from "./helpers/state.js";
import { gradAt, initParam } from "./helpers/synth.js";

// Large enough that a step is split across the pool (> 65536 elements, several 32K work items),
// with sizes that leave ragged vector tails.
const SHAPES = [[300, 401], [70001], [17], [1]];
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

function run(make: (params: ReturnType<typeof tensor>[]) => AnyOptimizer, steps = 7): (Float32Array | Uint8Array | Float64Array)[] {
  const params = SHAPES.map((s, i) => tensor(initParam(3, i, numel(s)), s, { device: "cpu" }));
  const opt = make(params);
  for (let step = 1; step <= steps; step++) {
    params.forEach((p, i) => {
      p.grad = tensor(gradAt(3, i, step, p.numel, 10 ** (i - 2)), p.shape, { device: "cpu" });
    });
    opt.step();
  }
  const out = params.map((p) => p.toArray());
  return [...out, ...stateArrays(opt)];
}

const variants: [string, (p: ReturnType<typeof tensor>[]) => AnyOptimizer][] = [
  ["AdamW", (p) => new AdamW(p, { lr: 1e-2, weightDecay: 0.1 })],
  ["Adam amsgrad maximize L2", (p) => new Adam(p, { lr: 1e-2, weightDecay: 0.1, amsgrad: true, maximize: true })],
  ["SGD momentum", (p) => new SGD(p, { lr: 1e-2, momentum: 0.9, dampening: 0.5, weightDecay: 0.01 })],
  ["RMSprop centered", (p) => new RMSprop(p, { lr: 1e-3, centered: true, momentum: 0.5 })],
  ["Lion", (p) => new Lion(p, { lr: 1e-3, weightDecay: 0.1, maximize: true })],
  ["AdamW8bit", (p) => new AdamW8bit(p, { lr: 1e-3 })],
  ["Lion8bit block 64", (p) => new Lion8bit(p, { lr: 1e-3, blockSize: 64 })],
  ["RAdam decoupled", (p) => new RAdam(p, { lr: 1e-2, weightDecay: 0.1, decoupledWeightDecay: true })],
  ["NAdam L2", (p) => new NAdam(p, { lr: 1e-2, weightDecay: 0.1 })],
  ["Adamax", (p) => new Adamax(p, { lr: 1e-2, weightDecay: 0.1 })],
  ["Adagrad", (p) => new Adagrad(p, { lr: 1e-2, lrDecay: 0.1, initialAccumulatorValue: 0.1 })],
  ["AMSBound", (p) => new AdaBound(p, { lr: 1e-2, amsbound: true, weightDecay: 0.01 })],
  ["Lookahead(Adam) k=3", (p) => new Lookahead(new Adam(p, { lr: 1e-2 }), { k: 3 })],
  ["Sophia", (p) => new Sophia(p, { lr: 1e-3, rho: 0.05, batchSize: 10 })],
  ["Adafactor (torch) wd maximize", (p) => new Adafactor(p, { weightDecay: 0.1, maximize: true })],
  ["Adafactor (transformers) beta1 wd", (p) => new Adafactor(p, { variant: "transformers", lr: 1e-3, relativeStep: false, beta1: 0.9, weightDecay: 0.1 })],
  ["CAME wd", (p) => new CAME(p, { lr: 1e-3, weightDecay: 0.05 })],
  ["Adadelta wd", (p) => new Adadelta(p, { weightDecay: 0.01 })],
  ["Rprop", (p) => new Rprop(p, { lr: 1e-3 })],
  ["ASGD averaging", (p) => new ASGD(p, { lr: 1e-2, t0: 1, weightDecay: 0.01 })],
  ["AdEMAMix warmup", (p) => new AdEMAMix(p, { lr: 1e-2, tAlpha: 5, tBeta3: 5 })],
  ["SGDScheduleFree wd", (p) => new SGDScheduleFree(p, { lr: 0.1, weightDecay: 0.01, warmupSteps: 3 })],
  ["AdamWScheduleFree wd", (p) => new AdamWScheduleFree(p, { lr: 1e-2, weightDecay: 0.01 })],
  ["LAMB clipped", (p) => new LAMB(p, { lr: 1e-2, maxGradNorm: 0.5 })],
  ["AdEMAMix8bit warmup", (p) => new AdEMAMix8bit(p, { lr: 1e-3, tAlpha: 5, tBeta3: 5 })],
  ["Muon (the matrix)", (p) => new Muon(p.filter((t) => t.shape.length === 2), { lr: 1e-2 })],
  ["Muon bfloat16 iteration (the matrix)", (p) => new Muon(p.filter((t) => t.shape.length === 2), { lr: 1e-2, nsDtype: "bfloat16", nesterov: false })],
  ["tfjs momentum nesterov", (p) => new TfjsMomentum(p, { lr: 1e-2, momentum: 0.9, useNesterov: true })],
  ["tfjs rmsprop centered", (p) => new TfjsRMSprop(p, { lr: 1e-3, momentum: 0.5, centered: true })],
  ["tfjs adagrad", (p) => new TfjsAdagrad(p, { lr: 1e-2 })],
  ["tfjs adadelta", (p) => new TfjsAdadelta(p, { lr: 1 })],
  ["tfjs adam", (p) => new TfjsAdam(p, { lr: 1e-2 })],
  ["tfjs adamax decay", (p) => new TfjsAdamax(p, { lr: 1e-2, decay: 0.01 })],
];

for (const [name, make] of variants) {
  test(`${name}: 1 thread and 3 threads give identical bits`, () => {
    const before = numThreads();
    try {
      setNumThreads(1);
      const one = run(make);
      setNumThreads(3);
      assert.is(numThreads(), 3);
      const three = run(make);
      one.forEach((a, i) => assertBitwiseEqual(a, three[i]!, `tensor ${i}`));
    } finally {
      setNumThreads(before);
    }
  });

  test(`${name}: every cpu ISA gives identical bits`, () => {
    const results: [string, ReturnType<typeof run>][] = [];
    underEveryIsa((isa) => results.push([isa, run(make)]));
    assert.ok(results.length >= 2, "at least two ISAs to compare");
    for (const [isa, r] of results.slice(1)) {
      r.forEach((a, i) => assertBitwiseEqual(a, results[0]![1][i]!, `${isa} vs ${results[0]![0]} tensor ${i}`));
    }
  });
}

test("CUOPTIM_NUM_THREADS sets the pool size", async () => {
  const { spawnSync } = await import("node:child_process");
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", "import('./src-ts/index.ts').then(m => process.stdout.write(String(m.numThreads())))"], {
    env: { ...process.env, CUOPTIM_NUM_THREADS: "5" },
    encoding: "utf8",
  });
  assert.is(r.stdout.trim(), "5", r.stderr);
});

test.run();
