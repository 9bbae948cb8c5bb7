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

  // The simulator's orders (kernels/sim/cuda_sim.cc), read at each launch.
  const ORDER_VARS = ["CUOPTIM_SIM_THREAD_ORDER", "CUOPTIM_SIM_BLOCK_ORDER", "CUOPTIM_SIM_SEED", "CUOPTIM_SIM_STRICT", "CUOPTIM_SIM_RACECHECK"] as const;
  const withOrders = <T>(vars: Partial<Record<(typeof ORDER_VARS)[number], string>>, fn: () => T): T => {
    const saved = ORDER_VARS.map((k) => process.env[k]);
    for (const k of ORDER_VARS) {
      if (vars[k] === undefined) delete process.env[k];
      else process.env[k] = vars[k];
    }
    try {
      return fn();
    } finally {
      ORDER_VARS.forEach((k, i) => (saved[i] === undefined ? delete process.env[k] : (process.env[k] = saved[i])));
    }
  };
  const reduceTwice = (x: Float32Array, block: number, flag: 0 | 1): { got: Float32Array; wrong: number } => {
    const got = native.kernelSelfTest("cuda-sim", "reduce_twice", x, block, flag);
    let wrong = 0;
    // One result pair per warp, each its block's max and -min.
    for (let w = 0; w < got.length / 2; w++) {
      const b = Math.floor((w * 32) / block);
      const part = x.subarray(b * block, Math.min(x.length, (b + 1) * block));
      if (got[2 * w] !== Math.max(...part)) wrong++;
      if (got[2 * w + 1] !== -Math.min(...part)) wrong++;
    }
    return { got, wrong };
  };

  test("cuda-sim: every thread and block order gives correct kernels' results", () => {
    const block = 256;
    const x = ints(block * 4 + 9, 5);
    for (const thread of ["forward", "reverse", "random", "greedy-warp"]) {
      for (const blockOrder of ["forward", "reverse", "random"]) {
        // Strict mode and the race detector too: correct kernels break none of their rules.
        withOrders({ CUOPTIM_SIM_THREAD_ORDER: thread, CUOPTIM_SIM_BLOCK_ORDER: blockOrder, CUOPTIM_SIM_SEED: "7", CUOPTIM_SIM_STRICT: "1", CUOPTIM_SIM_RACECHECK: "1" }, () => {
          const where = `${thread} threads, ${blockOrder} blocks`;
          const sums = native.kernelSelfTest("cuda-sim", "block_sum", x, block, 0);
          for (let b = 0; b < sums.length; b++) assert.is(sums[b], x.subarray(b * block, (b + 1) * block).reduce((a, v) => a + v, 0), `${where}: block_sum[${b}]`);
          assert.is(reduceTwice(x, block, 1).wrong, 0, `${where}: reduce_twice with its barrier`);
          const atoms = native.kernelSelfTest("cuda-sim", "atomics", x, block, 0);
          assert.equal([atoms[0], atoms[1]], [x.reduce((a, v) => a + v, 0), Math.max(...x)], `${where}: atomics`);
          const neighbours = native.kernelSelfTest("cuda-sim", "neighbour", x, block, 1);
          for (let i = 0; i < x.length; i++) {
            const b = Math.floor(i / block) * block;
            const width = Math.min(block, x.length - b);
            // Threads past n read their block's slots too; only the first n outputs exist.
            if ((i - b + 1) % block < width) assert.is(neighbours[i], x[b + ((i - b + 1) % block)], `${where}: neighbour[${i}]`);
          }
          const mapped = native.kernelSelfTest("cuda-sim", "static_map", x, block, 1);
          for (let i = 0; i < x.length; i++) assert.is(mapped[i], x[((i % block) + 1) % block], `${where}: static_map[${i}]`);
        });
      }
    }
  });

  test("cuda-sim: greedy-warp exposes shared slots reused without a barrier (thread order does not)", () => {
    const block = 256;
    const x = Float32Array.from({ length: block * 3 }, (_, i) => 2000 - i);
    assert.is(withOrders({}, () => reduceTwice(x, block, 0)).wrong, 0, "in thread order the missing barrier goes unseen");
    const greedy = withOrders({ CUOPTIM_SIM_THREAD_ORDER: "greedy-warp" }, () => reduceTwice(x, block, 0));
    assert.ok(greedy.wrong > 0, "a warp ran ahead into the second reduction and overwrote its slot before the other warps read it");
  });

  test("cuda-sim: reverse and random block orders expose blocks that read an earlier block's writes", () => {
    const block = 32;
    const blocks = 40;
    const x = Float32Array.from({ length: blocks * block }, (_, i) => (i % 7) + 1);
    const prefix = (got: Float32Array): number => {
      let s = 0;
      let wrong = 0;
      for (let b = 0; b < blocks; b++) {
        s += x[b]!;
        if (got[b] !== s) wrong++;
      }
      return wrong;
    };
    assert.is(prefix(withOrders({}, () => native.kernelSelfTest("cuda-sim", "block_chain", x, block, 0))), 0, "in grid order the race goes unseen");
    assert.ok(prefix(withOrders({ CUOPTIM_SIM_BLOCK_ORDER: "reverse" }, () => native.kernelSelfTest("cuda-sim", "block_chain", x, block, 0))) >= blocks - 1);
    assert.ok(prefix(withOrders({ CUOPTIM_SIM_BLOCK_ORDER: "random", CUOPTIM_SIM_SEED: "3" }, () => native.kernelSelfTest("cuda-sim", "block_chain", x, block, 0))) > 0);
  });

  test("cuda-sim: static shared memory is poisoned at every block start, so a copy without its barrier is caught", () => {
    // Every block copies the same map: without the poison, the copy the previous block (or the
    // previous launch) left would make the unsynchronised reads come out right.
    const block = 256;
    const x = Float32Array.from({ length: block * 4 }, (_, i) => (i % block) + 1);
    for (let launch = 0; launch < 2; launch++) {
      const got = withOrders({}, () => native.kernelSelfTest("cuda-sim", "static_map", x, block, 0));
      for (let b = 0; b < 4; b++) {
        let poisoned = 0;
        for (let t = 0; t < block; t++) if (Number.isNaN(got[b * block + t]!)) poisoned++;
        assert.ok(poisoned >= block - 1, `launch ${launch}, block ${b}: ${poisoned} of ${block} threads read the poison`);
      }
    }
  });

  test("cuda-sim race detector (CUOPTIM_SIM_RACECHECK=1): each race class is reported in every thread order, the synchronised kernels pass", () => {
    const block = 64;
    const x = Float32Array.from({ length: block * 2 }, (_, i) => i + 1);
    const race = (kind: string) => new RegExp(`CUOPTIM_SIM_RACECHECK\\): ${kind} race on dynamic shared memory\\[\\d+\\] in race_\\w+_kernel, block \\(\\d+, 0, 0\\): thread \\d+ (wrote|read) it and thread \\d+ (writes|reads) it with no barrier between them`);
    const cases: Array<[name: "race_raw" | "race_war" | "race_waw" | "race_warp", forward: RegExp, expected: (i: number) => number]> = [
      // In thread order thread 0 writes before the others read: read-after-write.
      ["race_raw", race("read-after-write"), (i) => x[Math.floor(i / block) * block]!],
      // Thread t reads slot t+1 before thread t+1 overwrites it: write-after-read.
      ["race_war", race("write-after-read"), (i) => 2 * x[Math.floor(i / block) * block + ((i % block) + 1) % block]!],
      ["race_waw", race("write-after-write"), (i) => x[Math.floor(i / block) * block]!],
      // Lane 0 reads lane 1's slot before lane 1 writes it, in the same warp epoch: write-after-read.
      ["race_warp", race("write-after-read"), (i) => x[i ^ 1]!],
    ];
    for (const [name, forward, expected] of cases) {
      // Synchronised: right in every order, and the detector is silent.
      for (const thread of ["forward", "reverse", "random", "greedy-warp"]) {
        const got = withOrders({ CUOPTIM_SIM_RACECHECK: "1", CUOPTIM_SIM_THREAD_ORDER: thread, CUOPTIM_SIM_SEED: "4" }, () => native.kernelSelfTest("cuda-sim", name, x, block, 1));
        for (let i = 0; i < x.length; i++) assert.is(got[i], expected(i), `${name} with its barrier, ${thread} threads: out[${i}]`);
      }
      withOrders({}, () => native.kernelSelfTest("cuda-sim", name, x, block, 0)); // without the detector nothing fails
      assert.throws(
        () => withOrders({ CUOPTIM_SIM_RACECHECK: "1" }, () => native.kernelSelfTest("cuda-sim", name, x, block, 0)),
        (e: unknown) => e instanceof CuoptimError && e.code === "ERR_KERNEL" && forward.test(e.message),
        `${name}, forward threads`,
      );
      for (const thread of ["reverse", "random", "greedy-warp"]) {
        assert.throws(
          () => withOrders({ CUOPTIM_SIM_RACECHECK: "1", CUOPTIM_SIM_THREAD_ORDER: thread, CUOPTIM_SIM_SEED: "4" }, () => native.kernelSelfTest("cuda-sim", name, x, block, 0)),
          (e: unknown) => e instanceof CuoptimError && e.code === "ERR_KERNEL" && race("(read-after-write|write-after-read|write-after-write)").test(e.message),
          `${name}, ${thread} threads`,
        );
      }
    }
    // The value-level bugs the other modes catch are races too.
    assert.throws(
      () => withOrders({ CUOPTIM_SIM_RACECHECK: "1" }, () => native.kernelSelfTest("cuda-sim", "static_map", x, block, 0)),
      (e: unknown) => e instanceof CuoptimError && /CUOPTIM_SIM_RACECHECK\): (read-after-write|write-after-read) race on map\[\d+\] in static_map_kernel/.test(e.message),
    );
    assert.throws(
      () => withOrders({ CUOPTIM_SIM_RACECHECK: "1" }, () => native.kernelSelfTest("cuda-sim", "reduce_twice", x, block, 0)),
      (e: unknown) => e instanceof CuoptimError && /CUOPTIM_SIM_RACECHECK\): write-after-read race on dynamic shared memory\[\d+\] in reduce_twice_kernel/.test(e.message),
    );
  });

  test("cuda-sim strict mode (CUOPTIM_SIM_STRICT=1) reports each broken warp or barrier use; without it they pass", () => {
    const block = 64;
    const x = ints(block * 2, 9);
    const broken: Array<[name: "exited_lane" | "mixed_mask" | "exit_at_barrier", message: RegExp]> = [
      // Lane 31 exits before its warp's shuffle (caught at the shuffle) or while the warp waits for it there.
      ["exited_lane", /(mask 0xffffffff, which names lanes 0x80000000 that do not exist or have exited|exited while lanes of its warp wait for it at a warp operation with mask 0xffffffff)/],
      ["mixed_mask", /with mask 0x(ffffffff|55555555) while other lanes wait with mask 0x(55555555|ffffffff)/],
      // The first warp waits at a barrier the rest exit without: caught at an exit or at the barrier.
      ["exit_at_barrier", /(exited while \d+ threads wait at __syncthreads|__syncthreads after \d+ threads of the block exited)/],
    ];
    for (const [name, message] of broken) {
      withOrders({}, () => native.kernelSelfTest("cuda-sim", name, x, block, 0)); // the scheduler alone forgives it
      for (const thread of ["forward", "reverse", "random"]) {
        assert.throws(
          () => withOrders({ CUOPTIM_SIM_STRICT: "1", CUOPTIM_SIM_THREAD_ORDER: thread, CUOPTIM_SIM_SEED: "5" }, () => native.kernelSelfTest("cuda-sim", name, x, block, 0)),
          (e: unknown) => e instanceof CuoptimError && e.code === "ERR_KERNEL" && /CUOPTIM_SIM_STRICT/.test(e.message) && message.test(e.message),
          `${name}, ${thread} threads`,
        );
      }
    }
  });

  test("cuda-sim: a kernel given a pointer outside every sim allocation fails the launch (ERR_KERNEL)", () => {
    assert.throws(
      () => native.kernelSelfTest("cuda-sim", "host_pointer", new Float32Array(32), 32, 0),
      (e: unknown) =>
        e instanceof CuoptimError && e.code === "ERR_KERNEL" && /int_to_float_kernel was passed 0x[0-9a-f]+ as argument 0, which is not in any cuda-sim device allocation/.test(e.message),
    );
  });

  test("cuda-sim: a random order is the same for one seed and differs between seeds", () => {
    const block = 32;
    const x = Float32Array.from({ length: 64 * block }, (_, i) => (i % 5) + 1);
    const run = (seed: string) => Array.from(withOrders({ CUOPTIM_SIM_BLOCK_ORDER: "random", CUOPTIM_SIM_SEED: seed }, () => native.kernelSelfTest("cuda-sim", "block_chain", x, block, 0)));
    assert.equal(run("11"), run("11"));
    assert.not.equal(run("11"), run("12"));
  });

  test("cuda-sim: order variables with other values fail the launch (ERR_INVALID_ARGUMENT)", () => {
    for (const vars of [{ CUOPTIM_SIM_THREAD_ORDER: "sideways" }, { CUOPTIM_SIM_BLOCK_ORDER: "greedy-warp" }, { CUOPTIM_SIM_SEED: "-1" }, { CUOPTIM_SIM_SEED: "x" }, { CUOPTIM_SIM_STRICT: "yes" }, { CUOPTIM_SIM_RACECHECK: "2" }]) {
      assert.throws(
        () => withOrders(vars, () => native.kernelSelfTest("cuda-sim", "block_sum", new Float32Array(64), 32, 0)),
        (e: unknown) => e instanceof CuoptimError && e.code === "ERR_INVALID_ARGUMENT" && /CUOPTIM_SIM_/.test(e.message),
        JSON.stringify(vars),
      );
    }
  });

  test("cuda-sim: launch configurations CUDA rejects fail the launch (ERR_KERNEL)", () => {
    assert.throws(
      () => native.kernelSelfTest("cuda-sim", "block_sum", new Float32Array(4096), 2048, 0),
      (e: unknown) => e instanceof CuoptimError && e.code === "ERR_KERNEL" && /1024 threads per block/.test(e.message),
    );
  });
}

test.run();
