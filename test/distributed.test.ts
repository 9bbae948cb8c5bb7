// test/distributed.test.ts — cuoptim/distributed in one process, without a launcher: calls before
// init() and after finalize() are refused, a missing or foreign MPI library is init()'s error
// (and nothing else's), and a process started without mpirun is a world of one in which every
// collective leaves its tensors as a one-rank job would and ZeroRedundancyOptimizer is the
// unsharded optimizer to the bit. The multi-rank tests run under mpirun
// (scripts/test-distributed.mjs).
import { spawnSync } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as distributed from "../src-ts/distributed/index.js";
import { Adafactor, AdamW, AdamW8bit, CuoptimError, tensor, type Tensor } from "../src-ts/index.js";
import { stateTensor } from "../src-ts/tensor.js";
import { assertBitwiseEqual } from "./helpers/compare.js";
import { testDevices } from "./helpers/devices.js";
import { initParam, scaled } from "./helpers/synth.js";

const { allGather, allReduce, barrier, broadcast, finalize, init, isInitialized, rank, reduce, reduceScatter, worldSize, ZeroRedundancyOptimizer } = distributed;

const isDistError = (pattern: RegExp) => (e: Error) => e instanceof CuoptimError && e.code === "ERR_DISTRIBUTED" && pattern.test(e.message);

test("before init(): every call is ERR_DISTRIBUTED, naming init()", () => {
  const t = tensor(new Float32Array([1, 2]), [2]);
  assert.not.ok(isInitialized());
  for (const act of [() => allReduce(t), () => broadcast(t), () => barrier(), () => rank(), () => worldSize(), () => finalize(), () => new ZeroRedundancyOptimizer([t], AdamW)]) {
    assert.throws(act, isDistError(/init\(\) first/));
  }
  assertBitwiseEqual(t.toArray(), new Float32Array([1, 2]), "unchanged");
});

/** Runs init() in a child process with this environment; returns what it printed. */
function initIn(env: Record<string, string>): string {
  const script = `import { init } from "./src-ts/distributed/index.ts"; try { init(); console.log("ok"); } catch (e) { console.log(e.code + ": " + e.message); }`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", env: { ...process.env, ...env } });
  return r.stdout + r.stderr;
}

test("a missing MPI library is init()'s error, saying how to install Open MPI; a foreign one is named as such", () => {
  const missing = initIn({ OMPI_COMM_WORLD_SIZE: "2", CUOPTIM_MPI_LIBRARY: "/nonexistent/libmpi.so.40" });
  assert.match(missing, /^ERR_DISTRIBUTED: init: could not load Open MPI/);
  assert.match(missing, /\/nonexistent\/libmpi\.so\.40/);
  assert.match(missing, /apt-get install openmpi-bin libopenmpi-dev/);
  const foreign = initIn({ OMPI_COMM_WORLD_SIZE: "2", CUOPTIM_MPI_LIBRARY: "libm.so.6" });
  assert.match(foreign, /not Open MPI's ABI \(missing ompi_mpi_comm_world/);
  assert.match(initIn({ OMPI_COMM_WORLD_SIZE: "" }), /^ok/, "no launcher: a world of one");
});

test("init() without a launcher: a world of one", () => {
  assert.throws(() => init({ timeoutSeconds: 0 }), (e: Error) => e instanceof CuoptimError && e.code === "ERR_RANGE");
  assert.not.ok(isInitialized(), "a refused init() changes nothing");
  const info = init();
  assert.equal({ ...info }, { rank: 0, worldSize: 1, transport: "local", library: "" });
  assert.is(rank(), 0);
  assert.is(worldSize(), 1);
  assert.throws(() => init(), isDistError(/already initialized/));
});

for (const device of testDevices().filter((d) => d !== "cuda")) {
  test(`a world of one on ${device}: every collective leaves its tensors as a one-rank job would`, () => {
    for (const dtype of ["float32", "bfloat16", "float16"] as const) {
      const values = scaled(5, 1, 1, 33, 100);
      const t = tensor(values, [33], { device, dtype });
      const stored = t.toArray();
      for (const op of ["sum", "avg", "max"] as const) {
        allReduce(t, { op });
        reduce(t, { op });
        assertBitwiseEqual(t.toArray(), stored, `${dtype} ${op}`);
      }
      broadcast(t);
      const out = tensor(new Float32Array(33), [33], { device, dtype });
      allGather(out, t);
      assertBitwiseEqual(out.toArray(), stored, `${dtype} allGather`);
      const scattered = tensor(new Float32Array(33), [33], { device, dtype });
      reduceScatter(scattered, t, { op: "avg" });
      assertBitwiseEqual(scattered.toArray(), stored, `${dtype} reduceScatter`);
    }
    const bytes = stateTensor(device, [5], "uint8");
    bytes.set(new Uint8Array([1, 2, 250, 4, 5]));
    allReduce(bytes as unknown as Tensor);
    assertBitwiseEqual(bytes.toArray(), new Uint8Array([1, 2, 250, 4, 5]), "uint8");
    assert.throws(() => allReduce(bytes as unknown as Tensor, { op: "avg" }), (e: Error) => e instanceof CuoptimError && e.code === "ERR_DTYPE");
    assert.throws(() => allGather(tensor(new Float32Array(4), [4], { device }), tensor(new Float32Array(3), [3], { device })), (e: Error) => e instanceof CuoptimError && e.code === "ERR_SHAPE" && /output/.test(e.message));
  });

  test(`ZeroRedundancyOptimizer in a world of one on ${device} is the unsharded optimizer, bit for bit`, () => {
    const shapes = [[12, 9], [40], [3]];
    for (const [cls, options] of [[AdamW, { lr: 1e-2, weightDecay: 0.1 }], [Adafactor, {}], [AdamW8bit, { lr: 1e-3, min8bitSize: 64 }]] as const) {
      const make = (): Tensor[] => shapes.map((s, i) => tensor(initParam(4, i, s[0]! * (s[1] ?? 1)), s, { device }) as unknown as Tensor);
      const a = make();
      const b = make();
      const ref = new (cls as typeof AdamW)(a, options as never);
      const zero = new ZeroRedundancyOptimizer(b, cls as typeof AdamW, { ...options, stage: 2 });
      for (let step = 1; step <= 3; step++) {
        [a, b].forEach((ps) => ps.forEach((p, i) => (p.grad = tensor(scaled(6, i, step, p.numel, 0.1), p.shape, { device }) as unknown as Tensor)));
        ref.step({ maxGradNorm: 0.05 });
        zero.step({ maxGradNorm: 0.05 });
        a.forEach((p, i) => assertBitwiseEqual(b[i]!.toArray(), p.toArray(), `${cls.name} step ${step} param ${i}`));
      }
      zero.consolidateStateDict();
      assert.equal(Object.keys(zero.stateDict().state), Object.keys(ref.stateDict().state));
    }
  });
}

test("finalize(): afterwards every call is refused, and init() cannot run again", () => {
  finalize();
  assert.not.ok(isInitialized());
  assert.throws(() => allReduce(tensor(new Float32Array(1), [1])), isDistError(/finalize\(\) already ran/));
  assert.throws(() => rank(), isDistError(/finalize\(\) already ran/));
  assert.throws(() => init(), isDistError(/finalize\(\) already ran/));
});

test.run();
