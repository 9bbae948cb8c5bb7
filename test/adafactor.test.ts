// test/adafactor.test.ts — Adafactor, both variants, against independent references
// (test/fixtures/gen/adafactor_reference.py) on every backend; cpu == cuda-sim bit for bit;
// O(rows + cols) state memory; training; bad input.
//
// Tolerances: params to 1e-6 relative (floor 1e-4) after 45 steps; state (the row/column
// statistics and moments) to 1e-6 relative to max(|value|, the tensor's RMS). Both sides sum in
// double and do float32 element-wise arithmetic in the same order; what differs is only the order
// of the double sums (the reference uses numpy's), so values agree to the last float32 bit or two.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Adafactor, AdamW, CAME, CuoptimError, memoryStats, tensor, type Device, type Optimizer, type Tensor } from "../src-ts/index.js";
import { assertBitwiseEqual, rms } from "./helpers/compare.js";
import { testDevices } from "./helpers/devices.js";
import { heavyTest } from "./helpers/heavy.js";
import { fixturePaths, readFixture } from "./helpers/fixtures.js";
import { trainSpiral } from "./helpers/spiral.js";
import { assertReplayMatches, closeF32State, freeReplay, replay, type TorchCase } from "./helpers/torch_case.js";
import { gradAt, initParam } from "./helpers/synth.js";

const cases = fixturePaths("reference")
  .map((p) => readFixture<TorchCase>(p))
  .filter((c) => c.optimizer === "Adafactor");

test("Adafactor fixtures are present for both variants", () => {
  assert.ok(cases.filter((c) => c.name.includes("torch")).length >= 2);
  assert.ok(cases.filter((c) => c.name.includes("transformers")).length >= 2);
});

for (const device of testDevices()) {
  for (const c of cases) {
    test(`${device}: ${c.name} matches the reference`, () => {
      const r = replay(c, device);
      assertReplayMatches(c, r, { rtol: 1e-6, floor: 1e-4 }, closeF32State(1e-6, (expected) => Math.max(1e-30, rms(expected))));
      freeReplay(r);
    });
  }
}

const SHAPES = [[70, 300], [2, 300, 40], [33], [1]];
// A step over more tensors than one launch's parameters hold (adafactor.cu's Batch::kMax: 184
// on x86-64), with a matrix of two segments and two strips (260 rows, 270 columns) in the middle.
const MANY = [...SHAPES, ...Array.from({ length: 200 }, (_, i) => (i === 100 ? [260, 270] : i % 3 === 0 ? [7 + (i % 5)] : [3 + (i % 4), 5 + (i % 7)]))];
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
function run(device: Device, make: (p: Tensor[]) => Optimizer<object>, steps = 4, shapes = SHAPES): Float32Array[] {
  const params = shapes.map((s, i) => tensor(initParam(8, i, numel(s)), s, { device }));
  const opt = make(params);
  for (let t = 1; t <= steps; t++) {
    params.forEach((p, i) => (p.grad = tensor(gradAt(8, i, t, p.numel, 0.1), p.shape, { device })));
    opt.step();
  }
  return [...params.map((p) => p.toArray()), ...[...opt.state.values()].flatMap((s) => Object.values(s.tensors).map((x) => x.toArray() as Float32Array))];
}

for (const device of testDevices().filter((d) => d !== "cpu")) {
  for (const options of [{ variant: "torch" }, { variant: "transformers", beta1: 0.9, lr: 1e-3, relativeStep: false, weightDecay: 0.1 }] as const) {
    test(`${device} == cpu bit for bit: Adafactor ${JSON.stringify(options)}`, () => {
      const a = run("cpu", (p) => new Adafactor(p, options));
      const b = run(device, (p) => new Adafactor(p, options));
      a.forEach((x, i) => assertBitwiseEqual(b[i]!, x, `tensor ${i}`));
    });
  }
  for (const [name, make] of [
    ["Adafactor", (p: Tensor[]) => new Adafactor(p)],
    ["CAME", (p: Tensor[]) => new CAME(p, { lr: 1e-3, weightDecay: 0.01 })],
  ] as const) {
    test(`${device} == cpu bit for bit: ${name} over ${MANY.length} tensors, more than one launch holds`, () => {
      const a = run("cpu", make, 1, MANY);
      const b = run(device, make, 1, MANY);
      a.forEach((x, i) => assertBitwiseEqual(b[i]!, x, `tensor ${i}`));
    });
  }
}

for (const device of testDevices()) {
  heavyTest(`${device}: memoryStats: a 1024x2048 matrix keeps 4*(rows + cols) bytes of state`, () => {
    const p = tensor(new Float32Array(1024 * 2048), [1024, 2048], { device });
    p.grad = tensor(new Float32Array(1024 * 2048).fill(1e-3), [1024, 2048], { device });
    const before = memoryStats(device).current.state;
    for (const options of [{}, { variant: "transformers" }] as const) {
      const opt = new Adafactor([p], options);
      opt.step();
      const bytes = memoryStats(device).current.state - before;
      assert.is(bytes, 4 * (1024 + 2048));
      assert.ok(bytes / p.numel < 0.01, `${bytes / p.numel} bytes/param`);
      opt.free();
    }
    const withMomentum = new Adafactor([p], { variant: "transformers", beta1: 0.9, lr: 1e-3, relativeStep: false });
    withMomentum.step();
    assert.is(memoryStats(device).current.state - before, 4 * (1024 + 2048) + 4 * p.numel, "beta1 adds 4 bytes/param");
    withMomentum.free();
    p.grad.free();
    p.free();
  });
}

heavyTest("training: both variants train the spiral MLP", () => {
  // torch's variant moves params by RMS(p) * min(lr, 1/sqrt t) per step: lr 0.1 for a short run
  const torchLoss = trainSpiral("cpu", (p) => new Adafactor(p, { lr: 0.1 }), { hidden: 32, steps: 150, seed: 3 }).finalLoss;
  const hfLoss = trainSpiral("cpu", (p) => new Adafactor(p, { variant: "transformers", lr: 1e-2, relativeStep: false, scaleParameter: false }), { hidden: 32, steps: 150, seed: 3 }).finalLoss;
  const adamw = trainSpiral("cpu", (p) => new AdamW(p, { lr: 1e-2 }), { hidden: 32, steps: 150, seed: 3 }).finalLoss;
  if (process.env.CUOPTIM_TEST_VERBOSE) console.log(`    spiral, 150 steps: Adafactor(torch) ${torchLoss.toFixed(4)}, (transformers) ${hfLoss.toFixed(4)}, AdamW ${adamw.toFixed(4)}`);
  assert.ok(torchLoss < 0.3, `torch variant: ${torchLoss} (from 1.16)`);
  assert.ok(hfLoss < 0.3, `transformers variant: ${hfLoss} (from 1.16)`);
});

test("bad input: each variant's own rules, before anything changes", () => {
  const p = tensor(new Float32Array(12), [3, 4], { device: "cpu" });
  const bad: [object, string][] = [
    [{ d: 0 }, "d"],
    [{ d: 0.5 }, "d"],
    [{ beta2Decay: 0.1 }, "beta2Decay"],
    [{ lr: -1 }, "lr"],
    [{ eps: [-1e-30, 1e-3] }, "eps[0]"],
    [{ variant: "transformers", lr: 1e-3 }, "relativeStep"],
    [{ variant: "transformers", warmupInit: true, relativeStep: false, lr: 1e-3 }, "warmupInit"],
    [{ variant: "transformers", relativeStep: false }, "lr"],
    [{ variant: "transformers", clipThreshold: 0 }, "clipThreshold"],
    [{ variant: "transformers", beta1: 1 }, "beta1"],
    [{ variant: "transformers", maximize: true }, "maximize"],
    [{ beta1: 0.9 }, "beta1"],
    [{ variant: "jax" }, "variant"],
  ];
  for (const [options, mentions] of bad) {
    assert.throws(() => new Adafactor([p], options as never), (e: unknown) => e instanceof CuoptimError && (e as Error).message.includes(mentions), JSON.stringify(options));
  }
  p.grad = tensor(new Float32Array(12).fill(1), [3, 4], { device: "cpu" });
  const opt = new Adafactor([p]);
  opt.step();
  const before = p.toArray();
  (opt.paramGroups[0] as unknown as { d: number }).d = 0;
  assert.throws(() => opt.step(), (e: unknown) => e instanceof CuoptimError && /paramGroups\[0\]\.d/.test((e as Error).message));
  assert.equal(p.toArray(), before);
  assert.is(opt.state.get(p)!.step, 1);
});

test.run();
