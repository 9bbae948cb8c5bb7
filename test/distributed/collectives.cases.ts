// test/distributed/collectives.cases.ts — the collectives on every dtype and device they take,
// against a plain JavaScript reference: each rank's input is a seeded function of its rank, so
// every rank can compute what all the others passed and fold it itself (rank order, float32,
// one rounding for 16-bit dtypes, as the native collectives promise).
import * as assert from "uvu/assert";
import { allGather, allReduce, broadcast, rank, reduce, reduceScatter, worldSize, init, type ReduceOp } from "../../src-ts/distributed/index.js";
import { CuoptimError, tensor, type Device, type Tensor } from "../../src-ts/index.js";
import { stateTensor as makeState } from "../../src-ts/tensor.js";
import { assertBitwiseEqual } from "../helpers/compare.js";
import { testDevices } from "../helpers/devices.js";
import { scaled } from "../helpers/synth.js";
import { test } from "./harness.js";

type DType = "float32" | "bfloat16" | "float16" | "uint8";
const DTYPES: DType[] = ["float32", "bfloat16", "float16", "uint8"];

/** Rank r's values: floats with NaN-free mixed signs and magnitudes, or bytes. */
function valuesOf(r: number, n: number, dtype: DType, salt: number): Float32Array | Uint8Array {
  const u = scaled(7 + salt, r, 1, n, 1000);
  if (dtype === "uint8") return Uint8Array.from(u, (x) => Math.abs(Math.trunc(x)) % 256);
  return u;
}

function make(values: Float32Array | Uint8Array, dtype: DType, device: Device): Tensor {
  if (dtype === "uint8") {
    const t = makeState(device, [values.length], "uint8");
    t.set(Uint8Array.from(values) as never);
    return t as unknown as Tensor;
  }
  return tensor(values as Float32Array, [values.length], { device, dtype }) as unknown as Tensor;
}

/** The values as the tensor stores them (16-bit rounded once), widened. */
function stored(values: Float32Array | Uint8Array, dtype: DType): Float32Array | Uint8Array {
  if (dtype === "uint8" || dtype === "float32") return values;
  return tensor(values as Float32Array, [values.length], { device: "cpu", dtype }).toArray() as Float32Array;
}

function fold(inputs: (Float32Array | Uint8Array)[], op: ReduceOp, dtype: DType): Float32Array | Uint8Array {
  const n = inputs[0]!.length;
  if (dtype === "uint8") {
    return Uint8Array.from({ length: n }, (_, i) => inputs.reduce((acc, x, r) => (r === 0 ? x[i]! : op === "max" ? Math.max(acc, x[i]!) : (acc + x[i]!) & 255), 0));
  }
  const f = Math.fround;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let acc = inputs[0]![i]!;
    for (let r = 1; r < inputs.length; r++) acc = op === "max" ? Math.max(acc, inputs[r]![i]!) : f(acc + inputs[r]![i]!);
    out[i] = op === "avg" ? f(acc / inputs.length) : acc;
  }
  return dtype === "float32" ? out : stored(out, dtype);
}

const asBits = (a: Float32Array | Uint8Array): Float32Array | Uint8Array => a;
const everyRank = <T>(f: (r: number) => T): T[] => Array.from({ length: worldSize() }, (_, r) => f(r));

// cuda tensors go through NCCL, one GPU per rank: scripts/test-distributed.mjs runs them in a job
// of its own (CUOPTIM_DIST_TEST_DEVICE=cuda) where the machine has the GPUs and NCCL.
const cudaJob = process.env.CUOPTIM_DIST_TEST_DEVICE === "cuda";
for (const device of testDevices().filter((d) => (d === "cuda") === cudaJob)) {
  for (const dtype of DTYPES) {
    const ops: ReduceOp[] = dtype === "uint8" ? ["sum", "max"] : ["sum", "avg", "max"];
    for (const op of ops) {
      test(`allReduce ${op} ${dtype} on ${device}: every rank gets the rank-order fold`, () => {
        for (const n of [1, 5, 1001]) {
          const inputs = everyRank((r) => stored(valuesOf(r, n, dtype, n), dtype));
          const t = make(valuesOf(rank(), n, dtype, n), dtype, device);
          allReduce(t, { op });
          assertBitwiseEqual(asBits(t.toArray() as Float32Array), asBits(fold(inputs, op, dtype)), `${n} elements`);
        }
      });
      test(`reduceScatter and reduce ${op} ${dtype} on ${device}: the same bits as allReduce for the same elements`, () => {
        const m = 37;
        const n = m * worldSize();
        const inputs = everyRank((r) => stored(valuesOf(r, n, dtype, 3), dtype));
        const whole = fold(inputs, op, dtype);
        const out = make(new Float32Array(m) as never, dtype, device);
        reduceScatter(out, make(valuesOf(rank(), n, dtype, 3), dtype, device), { op });
        assertBitwiseEqual(out.toArray() as Float32Array, whole.slice(rank() * m, (rank() + 1) * m), "reduceScatter block");
        const dst = worldSize() - 1;
        const mine = make(valuesOf(rank(), n, dtype, 3), dtype, device);
        reduce(mine, { dst, op });
        assertBitwiseEqual(mine.toArray() as Float32Array, rank() === dst ? whole : inputs[rank()]!, rank() === dst ? "reduce on dst" : "reduce elsewhere: unchanged");
      });
    }
    test(`allGather and broadcast ${dtype} on ${device}: the bits of every rank, or of src`, () => {
      const n = 29;
      const inputs = everyRank((r) => stored(valuesOf(r, n, dtype, 5), dtype));
      const out = make(new Float32Array(n * worldSize()) as never, dtype, device);
      allGather(out, make(valuesOf(rank(), n, dtype, 5), dtype, device));
      const want = dtype === "uint8" ? new Uint8Array(n * worldSize()) : new Float32Array(n * worldSize());
      inputs.forEach((x, r) => want.set(x as never, r * n));
      assertBitwiseEqual(out.toArray() as Float32Array, want, "allGather");
      const src = worldSize() > 2 ? 2 : 1;
      const b = make(valuesOf(rank(), n, dtype, 6), dtype, device);
      broadcast(b, { src });
      assertBitwiseEqual(b.toArray() as Float32Array, stored(valuesOf(src, n, dtype, 6), dtype), "broadcast");
    });
  }
}

/** Runs `act` on every rank (rank `odd` passing something else), expecting every rank to throw `code` and its tensor to be unchanged. */
function refusedEverywhere(what: string, code: string, act: (t: Tensor) => void, mentions?: string): void {
  const t = tensor(valuesOf(rank(), 6, "float32", 9) as Float32Array, [6], { device: "cpu" });
  const before = t.toArray();
  let caught: unknown = null;
  try {
    act(t);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof CuoptimError, `${what}: expected a CuoptimError on rank ${rank()}, got ${String(caught)}`);
  assert.ok((caught as CuoptimError).code === code || (caught as CuoptimError).code === "ERR_DISTRIBUTED", `${what}: code ${(caught as CuoptimError).code}: ${(caught as Error).message}`);
  if (mentions) assert.ok((caught as Error).message.includes(mentions), `${what}: "${(caught as Error).message}" should mention ${mentions}`);
  assertBitwiseEqual(t.toArray(), before, `${what}: the tensor is unchanged`);
}

const odd = (): boolean => rank() === worldSize() - 1;

test("collectives whose ranks disagree are an error on every rank, before any tensor changes", () => {
  refusedEverywhere("shape", "ERR_DISTRIBUTED", (t) => allReduce(odd() ? tensor(new Float32Array(7), [7]) : t), "shape");
  refusedEverywhere("dtype", "ERR_DISTRIBUTED", (t) => allReduce(odd() ? zerosOf("bfloat16") : t), "dtype");
  refusedEverywhere("op", "ERR_DISTRIBUTED", (t) => allReduce(t, { op: odd() ? "max" : "sum" }), "op");
  refusedEverywhere("root", "ERR_DISTRIBUTED", (t) => broadcast(t, { src: odd() ? 1 : 0 }), "root");
  refusedEverywhere("call", "ERR_DISTRIBUTED", (t) => (odd() ? broadcast(t) : allReduce(t)), "called");
  if (testDevices().includes("cuda-sim")) refusedEverywhere("device", "ERR_DISTRIBUTED", (t) => allReduce(odd() ? tensor(new Float32Array(6), [6], { device: "cuda-sim" }) : t), "device");
});

function zerosOf(dtype: "bfloat16"): Tensor {
  return tensor(new Float32Array(6), [6], { dtype }) as unknown as Tensor;
}

test("a rank's bad arguments are its own error and ERR_DISTRIBUTED on the others, with nothing changed", () => {
  refusedEverywhere("bad op", "ERR_INVALID_ARGUMENT", (t) => allReduce(t, { op: (odd() ? "mean" : "sum") as ReduceOp }), odd() ? "mean" : "rank");
  refusedEverywhere("not a tensor", "ERR_INVALID_ARGUMENT", (t) => allReduce(odd() ? ({} as Tensor) : t), odd() ? "tensor" : "rank");
  refusedEverywhere("freed", "ERR_FREED", (t) => {
    const u = tensor(new Float32Array(6), [6]);
    if (odd()) u.free();
    allReduce(odd() ? u : t);
  });
  refusedEverywhere("root out of range", "ERR_RANGE", (t) => broadcast(t, { src: worldSize() }), "root");
  refusedEverywhere("avg of uint8", "ERR_DTYPE", () => {
    const u = makeState("cpu", [4], "uint8");
    allReduce(u as unknown as Tensor, { op: "avg" });
  });
  refusedEverywhere("reduceScatter sizes", "ERR_SHAPE", (t) => reduceScatter(tensor(new Float32Array(5), [5]), t), "output");
});

test("init twice is refused", () => {
  assert.throws(() => init(), (e: Error) => e instanceof CuoptimError && e.code === "ERR_DISTRIBUTED" && /already initialized/.test(e.message));
});
