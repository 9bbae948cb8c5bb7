// test/sim.selftest.test.ts — the CUDA execution model as cuda-sim implements it (and as a GPU
// does, when there is one): shared-memory reductions with barriers, warp shuffles, atomics
// across blocks, and a kernel whose answer is right only because of __syncthreads. Every result
// is checked against plain CPU arithmetic (integer-valued floats, so sums are exact).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { native } from "../src-ts/native.js";
import { CuoptimError } from "../src-ts/index.js";
import { testDevices } from "./helpers/devices.js";

const kernelDevices = testDevices().filter((d) => d !== "cpu");
const ints = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7919 + seed * 104729) % 201) - 100);

for (const device of kernelDevices) {
  test(`${device}: block reduction through shared memory and __syncthreads`, () => {
    for (const block of [32, 256, 1024]) {
      const n = block * 5 + 17; // a partial last block
      const x = ints(n, block);
      const got = native.kernelSelfTest(device, "block_sum", x, block, 0);
      const blocks = Math.ceil(n / block);
      assert.is(got.length, blocks);
      for (let b = 0; b < blocks; b++) {
        let s = 0;
        for (let i = b * block; i < Math.min(n, (b + 1) * block); i++) s += x[i]!;
        assert.is(got[b], s, `block ${b} of ${block} threads`);
      }
    }
  });

  test(`${device}: warp-shuffle reductions (__shfl_xor_sync butterfly, __shfl_down_sync tree)`, () => {
    const n = 64 * 3;
    const x = ints(n, 3);
    const got = native.kernelSelfTest(device, "warp_sum", x, 64, 0);
    for (let w = 0; w < n / 32; w++) {
      let s = 0;
      for (let i = w * 32; i < (w + 1) * 32; i++) s += x[i]!;
      assert.is(got[2 * w], s, `butterfly, warp ${w}`);
      assert.is(got[2 * w + 1], s, `tree, warp ${w}`);
    }
  });

  test(`${device}: atomicAdd and atomicMax across blocks`, () => {
    const n = 10_000;
    const x = ints(n, 11);
    const got = native.kernelSelfTest(device, "atomics", x, 128, 0);
    assert.is(got[0], x.reduce((a, b) => a + b, 0));
    assert.is(got[1], Math.max(...x));
  });

  test(`${device}: reading shared memory written by other threads is right with __syncthreads`, () => {
    const block = 128;
    const n = block * 3;
    const x = Float32Array.from({ length: n }, (_, i) => i + 1);
    const got = native.kernelSelfTest(device, "neighbour", x, block, 1);
    for (let i = 0; i < n; i++) {
      const b = Math.floor(i / block) * block;
      assert.is(got[i], x[b + ((i - b + 1) % block)], `element ${i}`);
    }
  });

  test(`${device}: unknown self-test names are rejected`, () => {
    assert.throws(() => native.kernelSelfTest(device, "nope" as "atomics", new Float32Array(4), 32, 0), (e: unknown) => e instanceof CuoptimError);
  });
}

if (kernelDevices.includes("cuda-sim")) {
  test("cuda-sim: without __syncthreads the same kernel reads slots not yet written", () => {
    // The simulator runs each thread until it blocks, in thread order, and poisons dynamic shared
    // memory (NaN) at block start: so without the barrier thread t reads slot t+1 before thread
    // t+1 has written it. On a GPU this is a race; here it fails every time.
    const block = 64;
    const x = Float32Array.from({ length: block }, (_, i) => i + 1);
    const got = native.kernelSelfTest("cuda-sim", "neighbour", x, block, 0);
    let wrong = 0;
    for (let i = 0; i < block; i++) if (got[i] !== x[(i + 1) % block]) wrong++;
    assert.ok(wrong >= block - 1, `expected the unsynchronised reads to miss, ${wrong} of ${block} did`);
    assert.ok(Number.isNaN(got[0]!), "thread 0 read the poison in slot 1");
  });

  test("cuda-sim: launch configurations CUDA rejects fail the launch (ERR_KERNEL)", () => {
    assert.throws(
      () => native.kernelSelfTest("cuda-sim", "block_sum", new Float32Array(4096), 2048, 0),
      (e: unknown) => e instanceof CuoptimError && e.code === "ERR_KERNEL" && /1024 threads per block/.test(e.message),
    );
  });
}

test.run();
