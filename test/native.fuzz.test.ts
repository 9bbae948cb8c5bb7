// test/native.fuzz.test.ts — a bounded fuzz of every native entry point: real calls recorded from
// every optimizer, quantizer, clip and tensor operation, replayed with one or two arguments (or
// nested values: a list element, an option, a shape entry, `this`) swapped for random ones —
// wrong types, NaN/Inf, huge and negative sizes, freed tensors, tensors of another dtype, shape
// or device. Every call must return or throw a CuoptimError (a Tensor method called on a
// non-Tensor: V8's own "Illegal invocation" TypeError); the process must not crash (CI runs this
// under ASan + UBSan too). Seeded, so a failure reproduces (CUOPTIM_FUZZ_SEED,
// CUOPTIM_FUZZ_CALLS).
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as cuoptim from "../src-ts/index.js";
import { CuoptimError, numThreads, setNumThreads, cpuIsa, setCpuIsa, type Device } from "../src-ts/index.js";
import { native, type NativeTensor } from "../src-ts/native.js";
import { testDevices } from "./helpers/devices.js";
import { record } from "./helpers/native_calls.js";

const SEED = Number(process.env.CUOPTIM_FUZZ_SEED ?? 20261123);
const CALLS = Number(process.env.CUOPTIM_FUZZ_CALLS ?? 20000);
const devices = testDevices().filter((d) => d !== "cuda");

// mulberry32: a small seeded PRNG.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fuzzDevice(device: Device): { calls: number; threw: number } {
  const rand = prng(SEED + device.length);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const recorded = record(device);
  const fns = new Set(recorded.map((r) => r.fn));
  for (const fn of ["optimizerStep", "optimizer8bitStep", "adafactorStep", "quantizeBlockwise", "gemm", "addDiagonal", "prefetch"]) assert.ok(fns.has(fn), `recorded ${fn}`);

  const other: Device = device === "cpu" ? "cuda-sim" : "cpu";
  const pool: NativeTensor[] = [];
  const refill = () => {
    pool.length = 0;
    for (const d of [device, other]) {
      for (const shape of [[0], [1], [3], [4, 5], [64], [8, 20], [33], [300]]) {
        pool.push(new native.Tensor(d, "float32", shape), new native.Tensor(d, "uint8", shape));
      }
    }
    const freed = new native.Tensor(device, "float32", [8, 20]);
    freed.free();
    pool.push(freed);
  };
  refill();
  const numbers = [-1, 0, 1, 2, 3, 31, 32, 33, 63, 64, 65, 255, 256, 1023, 1024, 4096, 2 ** 31, 2 ** 32 + 1, 2 ** 53, -(2 ** 31), 0.5, -0.0, 1e-300, NaN, Infinity, -Infinity];
  const strings = ["cpu", "cuda-sim", "cuda", "float32", "uint8", "adam", "sgd", "lion", "adam8bit", "lion8bit", "ema", "lookahead", "nadam", "block_sum", "warp_sum", "scale", "clamp", "params", "state", "torch", "transformers", "", "x".repeat(300)];
  const random = (depth = 0): unknown => {
    const r = rand();
    if (r < 0.08) return undefined;
    if (r < 0.14) return null;
    if (r < 0.2) return rand() < 0.5;
    if (r < 0.38) return pick(numbers);
    if (r < 0.48) return pick(strings);
    if (r < 0.6) return pick(pool);
    if (r < 0.66) return new Float32Array(pick([0, 1, 3, 7, 64, 300]));
    if (r < 0.7) return new Uint8Array(pick([0, 1, 64, 300]));
    if (r < 0.72) return new Float64Array(3);
    if (r < 0.86 && depth < 2) return Array.from({ length: pick([0, 1, 2, 3, 5]) }, () => (rand() < 0.6 ? pick(pool) : random(depth + 1)));
    if (r < 0.96 && depth < 2) return { lr: random(depth + 1), beta1: random(depth + 1), blockSize: random(depth + 1), [pick(strings)]: random(depth + 1) };
    return () => 0;
  };
  /** A copy of `v` with one value somewhere inside replaced. */
  const mutate = (v: unknown, depth = 0): unknown => {
    if (Array.isArray(v) && v.length && depth < 3 && rand() < 0.7) {
      const copy = [...v];
      const i = Math.floor(rand() * copy.length);
      copy[i] = mutate(copy[i], depth + 1);
      return rand() < 0.1 ? copy.slice(0, -1) : copy;
    }
    if (v && typeof v === "object" && !ArrayBuffer.isView(v) && !(v instanceof native.Tensor) && depth < 3 && rand() < 0.7) {
      const copy = { ...(v as Record<string, unknown>) };
      const keys = Object.keys(copy);
      const k = rand() < 0.15 ? pick(strings) : pick(keys);
      if (rand() < 0.15) delete copy[k];
      else copy[k] = mutate(copy[k], depth + 1);
      return copy;
    }
    return random(depth);
  };

  const threads = numThreads();
  const isa = cpuIsa();
  let calls = 0;
  let threw = 0;
  try {
    for (let i = 0; i < CALLS; i++) {
      if (i % 500 === 0) refill();
      const base = pick(recorded);
      const args = [...base.args];
      const mutations = rand() < 0.1 ? 0 : rand() < 0.7 ? 1 : 2;
      for (let m = 0; m < mutations; m++) {
        const k = Math.floor(rand() * (args.length + 1));
        args[k] = rand() < 0.5 ? mutate(args[k]) : random();
      }
      let foreignThis = false;
      const call = (): unknown => {
        const r = rand();
        if (r < 0.85) return (native as unknown as Record<string, (...a: unknown[]) => unknown>)[base.fn]!(...args);
        // Tensor methods and constructor, also with a foreign `this`.
        foreignThis = rand() < 0.2;
        const t = foreignThis ? ({} as NativeTensor) : pick(pool);
        const method = pick(["setRole", "upload", "download", "copyFrom", "zero", "view", "free"] as const);
        if (r < 0.93) return (native.Tensor.prototype[method] as (...a: unknown[]) => unknown).call(t, random(), random());
        // Shapes: small, invalid, or too large to address — never a real multi-gigabyte allocation.
        const dims = [-1, 0, 1, 3, 64, 1.5, NaN, Infinity, 2 ** 53, 2 ** 62, "3", null, -(2 ** 31)];
        const shape = rand() < 0.8 ? Array.from({ length: pick([0, 1, 2, 3, 9]) }, () => pick(dims)) : pick([undefined, null, 3, "shape", {}]);
        return new native.Tensor(random() as Device, random() as "float32", shape as number[], random() as "params");
      };
      calls += 1;
      try {
        call();
      } catch (e) {
        threw += 1;
        // V8 itself refuses a method called on a non-Tensor before the addon runs.
        const illegal = foreignThis && e instanceof TypeError && /Illegal invocation/.test(e.message);
        if (!(e instanceof CuoptimError) && !illegal) {
          throw new Error(`call ${i} (${base.fn}): expected a CuoptimError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
        }
      }
      if (rand() < 0.02) {
        // the thread pool and ISA are process-wide: fuzz them too, within the API
        try {
          native.setNumThreads(random() as number);
        } catch (e) {
          if (!(e instanceof CuoptimError)) throw e;
        }
      }
    }
  } finally {
    setNumThreads(threads);
    setCpuIsa(isa as "avx512");
  }
  return { calls, threw };
}

for (const device of devices) {
  test(`${device}: ${CALLS} mutated native calls return or throw a CuoptimError (seed ${SEED})`, () => {
    const { calls, threw } = fuzzDevice(device);
    assert.is(calls, CALLS);
    // Most mutated calls must be refused; a fuzz whose mutations never bite would prove nothing.
    assert.ok(threw > calls / 3, `only ${threw} of ${calls} calls threw`);
    if (process.env.CUOPTIM_TEST_VERBOSE) console.log(`    ${device}: ${calls} calls, ${threw} refused with a CuoptimError`);
  });
}

test.run();
