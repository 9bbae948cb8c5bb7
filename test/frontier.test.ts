// test/frontier.test.ts — the second-order and memory-frugal optimizers: CAME against its
// reference (test/fixtures/gen/came_reference.py; Sophia's parity is in reference.parity.test.ts),
// cpu == cuda-sim bit for bit, each converging on a small real problem (the spiral MLP) on every
// backend, and their extra entry points refusing bad input before anything changes.
//
// CAME tolerances, as Adafactor's (adafactor.test.ts): params 1e-6 relative (floor 1e-4) after 45
// steps, state 1e-6 relative to max(|value|, the tensor's RMS): both sides sum in double and
// compute element-wise in float32 in the same order; only the order of the double sums differs.
//
// Shampoo (test/fixtures/gen/shampoo_reference.py: numpy float64, inverse roots by eigh) against
// cuoptim's float32 with Newton-iteration roots: params to 2e-5 relative (floor 1e-2; 5e-6
// measured after 30 steps), the statistics, roots and moments to 1e-5 of each tensor's largest
// magnitude (1e-6 measured): the matrix roots agree with the eigendecomposition to float32
// accuracy.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AdamW, CAME, CuoptimError, memoryStats, Shampoo, Sophia, tensor, type Tensor } from "../src-ts/index.js";
import { assertBitwiseEqual, rms } from "./helpers/compare.js";
import { testDevices } from "./helpers/devices.js";
import { heavyTest } from "./helpers/heavy.js";
import { fixturePaths, readFixture } from "./helpers/fixtures.js";
import { trainSpiral } from "./helpers/spiral.js";
import { gradAt, initParam } from "./helpers/synth.js";
import { captureWarnings } from "./helpers/warnings.js";
import { assertReplayMatches, closeF32State, freeReplay, replay, type TorchCase } from "./helpers/torch_case.js";

const devices = testDevices().filter((d) => d !== "cuda");
const SPIRAL = { hidden: 32, steps: 200, seed: 3 };
const adamwLoss = trainSpiral("cpu", (p) => new AdamW(p, { lr: 1e-2 }), SPIRAL).finalLoss;

const shampooCases = fixturePaths("reference")
  .map((p) => readFixture<TorchCase>(p))
  .filter((c) => c.optimizer === "Shampoo");
test("Shampoo reference fixtures are present", () => assert.ok(shampooCases.length >= 2));

const cameCases = fixturePaths("reference")
  .map((p) => readFixture<TorchCase>(p))
  .filter((c) => c.optimizer === "CAME");
test("CAME reference fixtures are present", () => assert.ok(cameCases.length >= 2));

for (const device of devices) {
  for (const c of cameCases) {
    test(`${device}: ${c.name} matches the reference CAME`, () => {
      const r = replay(c, device);
      assertReplayMatches(c, r, { rtol: 1e-6, floor: 1e-4 }, closeF32State(1e-6, (expected) => Math.max(1e-30, rms(expected))));
      freeReplay(r);
    });
  }

  for (const c of shampooCases) {
    test(`${device}: ${c.name} matches the reference Shampoo (eigendecomposition roots)`, () => {
      const r = replay(c, device);
      // roots and statistics: 1e-5 relative to the tensor's largest magnitude
      const maxAbs = (expected: Float32Array) => expected.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      assertReplayMatches(c, r, { rtol: 2e-5, floor: 1e-2 }, (state, k, want, what) => {
        if (k === "rootStep") assert.is(state.scalars.rootStep, want, what);
        else closeF32State(1e-5, maxAbs)(state, k, want, what);
      });
      freeReplay(r);
    });
  }

  heavyTest(`${device}: Shampoo (blocked, preconditioning from step 10) trains the spiral MLP as well as AdamW`, () => {
    let opt: Shampoo | null = null;
    const loss = trainSpiral(device, (p) => (opt = new Shampoo(p, { lr: 1e-2, preconditionFrequency: 10, startPreconditioningStep: 10, maxPreconditionerDim: 16 })), SPIRAL).finalLoss;
    assert.ok(loss < 1.5 * adamwLoss && loss < 0.1, `Shampoo ${loss} vs AdamW ${adamwLoss}`);
    assert.is(opt!.rootFailures.length, 0);
  });

  heavyTest(`${device}: CAME trains the spiral MLP at least as well as AdamW`, () => {
    const loss = trainSpiral(device, (p) => new CAME(p, { lr: 1e-2 }), SPIRAL).finalLoss;
    assert.ok(loss < 1.5 * adamwLoss && loss < 0.1, `CAME ${loss} vs AdamW ${adamwLoss}`);
  });

  // Gauss-Newton-Bartlett estimates every 5 steps; the loss ends within 1.5x of AdamW's (from
  // ~1.1 at the start: both fit the spiral).
  heavyTest(`${device}: Sophia with GNB Hessian estimates trains the spiral MLP as well as AdamW`, () => {
    const loss = trainSpiral(device, (p) => new Sophia(p, { lr: 1e-2, batchSize: 300, weightDecay: 0 }), { ...SPIRAL, hessianEvery: 5 }).finalLoss;
    assert.ok(loss < 1.5 * adamwLoss && loss < 0.1, `Sophia ${loss} vs AdamW ${adamwLoss}`);
  });
}

test("CAME: cuda-sim == cpu bit for bit (factored over several tiles, batched, vectors)", () => {
  if (!devices.includes("cuda-sim")) return;
  const shapes = [[70, 300], [2, 300, 40], [33], [1]];
  const run = (device: "cpu" | "cuda-sim") => {
    const params = shapes.map((s, i) => tensor(initParam(8, i, s.reduce((a, b) => a * b, 1)), s, { device }));
    const opt = new CAME(params, { lr: 1e-3, weightDecay: 0.01 });
    for (let t = 1; t <= 4; t++) {
      params.forEach((p, i) => (p.grad = tensor(gradAt(8, i, t, p.numel, 0.1), p.shape, { device })));
      opt.step();
    }
    return [...params.map((p) => p.toArray()), ...[...opt.state.values()].flatMap((s) => Object.values(s.tensors).map((x) => x.toArray() as Float32Array))];
  };
  const a = run("cpu");
  const b = run("cuda-sim");
  a.forEach((x, i) => assertBitwiseEqual(b[i]!, x, `tensor ${i}`));
});

heavyTest("CAME keeps O(rows + cols) second-moment and instability state per matrix (plus the first moment)", () => {
  const p = tensor(new Float32Array(512 * 1024), [512, 1024], { device: "cpu" });
  p.grad = tensor(new Float32Array(512 * 1024).fill(0.01), [512, 1024], { device: "cpu" });
  const before = memoryStats("cpu").current.state;
  const opt = new CAME([p]);
  opt.step();
  assert.is(memoryStats("cpu").current.state - before, 4 * 512 * 1024 + 2 * 4 * (512 + 1024));
  opt.free();
});

test("Shampoo: a root that does not converge keeps the previous preconditioner and says so", async () => {
  const run = async (rootIterations: number) => {
    const p = tensor(initParam(5, 0, 48), [6, 8], { device: "cpu" });
    const opt = new Shampoo([p], { lr: 1e-2, preconditionFrequency: 2, startPreconditioningStep: 2, rootIterations });
    const warnings = (
      await captureWarnings(() => {
        for (let s = 1; s <= 4; s++) {
          p.grad = tensor(gradAt(5, 0, s, 48, 0.1), [6, 8], { device: "cpu" });
          opt.step();
        }
      })
    ).map((w) => w.message);
    return { p: p.toArray(), opt, warnings };
  };
  const failing = await run(1); // one Newton iteration cannot reach the 1e-3 acceptance
  assert.ok(failing.opt.rootFailures.length >= 2, "failures recorded");
  assert.is(failing.warnings.filter((w) => /Shampoo: .* did not converge/.test(w)).length, 1, "said once");
  assert.is(failing.opt.state.values().next().value!.scalars.rootStep, 0, "no roots adopted");
  // with no roots the step is the grafted (Adam) direction: as a run that never preconditions
  const p = tensor(initParam(5, 0, 48), [6, 8], { device: "cpu" });
  const adamOnly = new Shampoo([p], { lr: 1e-2, startPreconditioningStep: 1000 });
  for (let s = 1; s <= 4; s++) {
    p.grad = tensor(gradAt(5, 0, s, 48, 0.1), [6, 8], { device: "cpu" });
    adamOnly.step();
  }
  assertBitwiseEqual(failing.p, p.toArray(), "params as without preconditioning");
  const ok = await run(100);
  assert.is(ok.opt.rootFailures.length, 0);
  assert.equal(ok.warnings, []);
  assert.is(ok.opt.state.values().next().value!.scalars.rootStep, 4);
});

test("Shampoo: cuda-sim == cpu bit for bit, preconditioners included", () => {
  if (!devices.includes("cuda-sim")) return;
  const run = (device: "cpu" | "cuda-sim") => {
    const params = [tensor(initParam(6, 0, 600), [20, 30], { device }), tensor(initParam(6, 1, 7), [7], { device })];
    const opt = new Shampoo(params, { lr: 1e-2, preconditionFrequency: 2, startPreconditioningStep: 2, maxPreconditionerDim: 16 });
    for (let s = 1; s <= 4; s++) {
      params.forEach((p, i) => (p.grad = tensor(gradAt(6, i, s, p.numel, 0.1), [...p.shape], { device })));
      opt.step();
    }
    return [...params.map((p) => p.toArray()), ...[...opt.state.values()].flatMap((s) => Object.values(s.tensors).map((x) => x.toArray() as Float32Array))];
  };
  const a = run("cpu");
  const b = run("cuda-sim");
  a.forEach((x, i) => assertBitwiseEqual(b[i]!, x, `tensor ${i}`));
});

test("Shampoo: preconditionFrequency < 1, a fractional block size, a bad start are refused", () => {
  const p = tensor(new Float32Array(4), [2, 2], { device: "cpu" });
  throwsCode(() => new Shampoo([p], { preconditionFrequency: 0 }), "ERR_RANGE", "preconditionFrequency");
  throwsCode(() => new Shampoo([p], { maxPreconditionerDim: 2.5 }), "ERR_RANGE", "maxPreconditionerDim");
  throwsCode(() => new Shampoo([p], { startPreconditioningStep: 0 }), "ERR_RANGE", "startPreconditioningStep");
  throwsCode(() => new Shampoo([p], { epsilon: -1 }), "ERR_RANGE", "epsilon");
});

function sophiaRig() {
  const p = tensor(new Float32Array([1, 2, 3, 4]), [2, 2], { device: "cpu" });
  p.grad = tensor(new Float32Array([0.1, -0.2, 0.3, -0.4]), [2, 2], { device: "cpu" });
  const opt = new Sophia([p], { lr: 1e-2 });
  opt.step();
  opt.updateHessian();
  return { p, opt };
}
function throwsCode(fn: () => unknown, code: string, mentions: string): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, CuoptimError);
    assert.is((e as CuoptimError).code, code, (e as Error).message);
    assert.ok((e as Error).message.includes(mentions), `"${(e as Error).message}" should mention ${mentions}`);
    return;
  }
  assert.unreachable("no error");
}

test("Sophia.updateHessian refuses non-finite or misshapen estimates and changes nothing", () => {
  const { p, opt } = sophiaRig();
  const before = opt.stateDict();
  const grad = p.grad!;
  grad.set(new Float32Array([0.1, NaN, 0.3, 0.4]));
  throwsCode(() => opt.updateHessian(), "ERR_RANGE", "NaN or Infinity");
  throwsCode(() => opt.updateHessian([tensor(new Float32Array(3), [3], { device: "cpu" })]), "ERR_SHAPE", "estimates[0]");
  throwsCode(() => opt.updateHessian([tensor(new Float32Array([1, Infinity, 0, 0]), [2, 2], { device: "cpu" })]), "ERR_RANGE", "NaN or Infinity");
  throwsCode(() => opt.updateHessian([] as Tensor[]), "ERR_INVALID_ARGUMENT", "1 estimates");
  const after = opt.stateDict();
  assertBitwiseEqual(after.state[0]!.hessian as Float32Array, before.state[0]!.hessian as Float32Array, "hessian");
  assert.is(p.grad, grad, "the grads are the caller's again");
  // explicit estimates equal the grads route
  grad.set(new Float32Array([0.5, 0.5, 0.5, 0.5]));
  const twin = sophiaRig();
  twin.p.grad!.set(new Float32Array([0.5, 0.5, 0.5, 0.5]));
  opt.updateHessian([tensor(new Float32Array([0.5, 0.5, 0.5, 0.5]), [2, 2], { device: "cpu" })]);
  twin.opt.updateHessian();
  assertBitwiseEqual(opt.stateDict().state[0]!.hessian as Float32Array, twin.opt.stateDict().state[0]!.hessian as Float32Array, "explicit = grads");
});

test("Sophia: rho <= 0 and batchSize <= 0 are refused", () => {
  const p = tensor(new Float32Array(2), [2], { device: "cpu" });
  throwsCode(() => new Sophia([p], { rho: 0 }), "ERR_RANGE", "rho");
  throwsCode(() => new Sophia([p], { rho: -1 }), "ERR_RANGE", "rho");
  throwsCode(() => new Sophia([p], { batchSize: 0 }), "ERR_RANGE", "batchSize");
});

test.run();
