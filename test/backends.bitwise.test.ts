// test/backends.bitwise.test.ts — the CUDA kernels (on cuda-sim, and cuda when present) give the
// cpu backend's results bit for bit, on a step shaped to exercise the multi-tensor machinery:
// more tensors than one launch's metadata holds (so a step takes several launches, whose blocks
// find their tensors by binary search), multi-chunk tensors among single-chunk ones, tensors of
// 1..3 elements, ragged sizes around the 65536-element chunk, and the float4 path beside the
// scalar one.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  AdaBound,
  Adagrad,
  Adam,
  Adamax,
  AdamW,
  AdamW8bit,
  Lion,
  Lion8bit,
  Lookahead,
  NAdam,
  RAdam,
  Sophia,
  RMSprop,
  SGD,
  tensor,
  type Device,
  type Tensor,
} from "../src-ts/index.js";
import { assertBitwiseEqual } from "./helpers/compare.js";
import { stateArrays, type AnyOptimizer } from "./helpers/state.js";
import { testDevices } from "./helpers/devices.js";
import { gradAt } from "./helpers/synth.js";

const SIZES = [
  1, 2, 3, 4, 5, 8, 31, 64, 1023, 65535, 65536, 65537, 131072 + 3, 5 * 65536 + 12,
  ...Array.from({ length: 120 }, (_, i) => 1 + ((i * 977) % 3000)),
  // One launch holds at most 902 tensors (one list, no scalars; kernels/cuda/multi_tensor_apply.cuh).
  ...Array.from({ length: 900 }, (_, i) => (i === 450 ? 2 * 65536 + 7 : 1 + ((i * 31) % 40))),
];

function run(device: Device, make: (p: Tensor[]) => AnyOptimizer, steps: number, sizes = SIZES): (Float32Array | Uint8Array | Float64Array)[] {
  const params = sizes.map((n, i) => tensor(gradAt(5, 1000 + i, 0, n, 1), [n], { device }));
  const grads = sizes.map((n) => tensor(new Float32Array(n), [n], { device }));
  const opt = make(params);
  for (let s = 1; s <= steps; s++) {
    params.forEach((p, i) => {
      grads[i]!.set(gradAt(5, i, s, p.numel, 10 ** ((i % 7) - 4)));
      p.grad = grads[i]!;
    });
    opt.step();
  }
  const out = [...params.map((p) => p.toArray()), ...stateArrays(opt)];
  opt.free();
  for (const t of [...params, ...grads]) t.free();
  return out;
}

// [name, make, sizes, steps]: RAdam needs 6 steps before its rectified branch (rho_t > 5) runs.
const variants: [string, (p: Tensor[]) => AnyOptimizer, number[]?, number?][] = [
  ["AdamW", (p) => new AdamW(p, { lr: 3e-3, betas: [0.9, 0.95], weightDecay: 0.1 })],
  ["Adam amsgrad maximize L2", (p) => new Adam(p, { lr: 1e-2, amsgrad: true, maximize: true, weightDecay: 0.05 })],
  ["SGD nesterov", (p) => new SGD(p, { lr: 1e-2, momentum: 0.9, nesterov: true, weightDecay: 1e-4 })],
  ["RMSprop centered momentum", (p) => new RMSprop(p, { lr: 1e-3, centered: true, momentum: 0.9, maximize: true })],
  ["Lion", (p) => new Lion(p, { lr: 1e-3, weightDecay: 0.1 })],
  ["AdamW8bit", (p) => new AdamW8bit(p, { lr: 1e-3, min8bitSize: 1000 })],
  ["AdamW8bit block 64", (p) => new AdamW8bit(p, { lr: 1e-3, blockSize: 64, min8bitSize: 64 })],
  ["Lion8bit block 1024", (p) => new Lion8bit(p, { lr: 1e-3, weightDecay: 0.1, blockSize: 1024, min8bitSize: 2048 })],
  ["RAdam decoupled maximize", (p) => new RAdam(p, { lr: 1e-2, weightDecay: 0.1, decoupledWeightDecay: true, maximize: true }), undefined, 7],
  ["RAdam L2", (p) => new RAdam(p, { lr: 1e-2, betas: [0.9, 0.99], weightDecay: 0.1 })],
  ["NAdam decoupled", (p) => new NAdam(p, { lr: 1e-2, weightDecay: 0.1, decoupledWeightDecay: true })],
  ["NAdam L2 maximize", (p) => new NAdam(p, { lr: 1e-2, weightDecay: 0.1, maximize: true, momentumDecay: 0.01 })],
  ["Adamax L2 maximize", (p) => new Adamax(p, { lr: 1e-2, weightDecay: 0.1, maximize: true })],
  ["Adagrad", (p) => new Adagrad(p, { lr: 1e-2, lrDecay: 0.1, initialAccumulatorValue: 0.1, weightDecay: 0.01, maximize: true })],
  ["AdaBound", (p) => new AdaBound(p, { lr: 1e-2, gamma: 0.1, weightDecay: 0.01 })],
  ["AMSBound", (p) => new AdaBound(p, { lr: 1e-2, amsbound: true })],
  ["Lookahead(AdamW) k=2", (p) => new Lookahead(new AdamW(p, { lr: 1e-2 }), { k: 2, alpha: 0.3 })],
  ["Sophia", (p) => new Sophia(p, { lr: 1e-3, rho: 0.05, batchSize: 10, maximize: true })],
];

const kernelDevices = testDevices().filter((d) => d !== "cpu");
for (const device of kernelDevices) {
  for (const [name, make, sizes = SIZES, steps = 3] of variants) {
    test(`${name}: ${device} == cpu, bit for bit, over ${sizes.length} tensors (${sizes.reduce((a, b) => a + b, 0)} params)`, () => {
      const expected = run("cpu", make, steps, sizes);
      const got = run(device, make, steps, sizes);
      assert.is(got.length, expected.length);
      got.forEach((g, i) => assertBitwiseEqual(g, expected[i]!, `tensor ${i}`));
      if (process.env.CUOPTIM_TEST_VERBOSE) console.log(`    ${name}: ${device} bit-identical to cpu on ${got.length} tensors (params + state)`);
    });
  }
}

test.run();
