// test/paged.test.ts — `paged: true` (bitsandbytes' paged optimizers): on cuda the state lives in
// CUDA managed memory, reported by memoryStats as `paged`, with the same numbers as ordinary
// memory; on cpu and cuda-sim the option is accepted and changes nothing. The cuda checks run
// only where a GPU is usable.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AdamW, AdamW8bit, CuoptimError, isAvailable, memoryStats, tensor, type Device, type Optimizer, type Tensor } from "../src-ts/index.js";
import { assertBitwiseEqual } from "./helpers/compare.js";
import { testDevices } from "./helpers/devices.js";
import { gradAt, initParam } from "./helpers/synth.js";

function run(device: Device, make: (p: Tensor[]) => Optimizer<object>) {
  const params = [tensor(initParam(4, 0, 5000), [50, 100], { device }), tensor(initParam(4, 1, 33), [33], { device })];
  const before = memoryStats(device).current;
  const opt = make(params);
  for (let s = 1; s <= 3; s++) {
    params.forEach((p, i) => (p.grad = tensor(gradAt(4, i, s, p.numel, 0.1), [...p.shape], { device })));
    opt.step();
  }
  const now = memoryStats(device).current;
  const out = { params: params.map((p) => p.toArray()), state: opt.stateDict(), pagedBytes: now.paged - before.paged, stateBytes: now.state - before.state };
  opt.free();
  return out;
}

for (const device of testDevices()) {
  for (const [name, make] of [
    ["AdamW", (paged: boolean) => (p: Tensor[]) => new AdamW(p, { lr: 1e-2, paged })],
    ["AdamW8bit", (paged: boolean) => (p: Tensor[]) => new AdamW8bit(p, { lr: 1e-2, min8bitSize: 64, paged })],
  ] as const) {
    test(`${device}: ${name} with paged state gives the same numbers${device === "cuda" ? ", in managed memory" : " (a no-op here)"}`, () => {
      const plain = run(device, make(false));
      const paged = run(device, make(true));
      paged.params.forEach((p, i) => assertBitwiseEqual(p, plain.params[i]!, `param ${i}`));
      assert.is(paged.stateBytes, plain.stateBytes);
      assert.is(plain.pagedBytes, 0);
      assert.is(paged.pagedBytes, device === "cuda" ? paged.stateBytes : 0);
    });
  }
}

test("paged must be a boolean", () => {
  const p = tensor(new Float32Array(2), [2], { device: "cpu" });
  assert.throws(() => new AdamW([p], { paged: "yes" as never }), (e: unknown) => e instanceof CuoptimError && /options\.paged/.test((e as Error).message));
  assert.is(new AdamW([p], { paged: true }).paged, true);
});

test("cuda paged checks: ran, or why not", () => {
  if (!isAvailable("cuda")) console.log("    (no usable GPU here: the cuda paged-memory checks did not run)");
});

test.run();
