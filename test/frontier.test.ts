// test/frontier.test.ts — the second-order and memory-frugal optimizers beyond their reference
// parity (reference.parity.test.ts): each converges on a small real problem (the spiral MLP) on
// every backend, and their extra entry points refuse bad input before anything changes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AdamW, CuoptimError, Sophia, tensor, type Tensor } from "../src-ts/index.js";
import { assertBitwiseEqual } from "./helpers/compare.js";
import { testDevices } from "./helpers/devices.js";
import { trainSpiral } from "./helpers/spiral.js";

const devices = testDevices().filter((d) => d !== "cuda");
const SPIRAL = { hidden: 32, steps: 200, seed: 3 };
const adamwLoss = trainSpiral("cpu", (p) => new AdamW(p, { lr: 1e-2 }), SPIRAL).finalLoss;

for (const device of devices) {
  // Gauss-Newton-Bartlett estimates every 5 steps; the loss ends within 1.5x of AdamW's (from
  // ~1.1 at the start: both fit the spiral).
  test(`${device}: Sophia with GNB Hessian estimates trains the spiral MLP as well as AdamW`, () => {
    const loss = trainSpiral(device, (p) => new Sophia(p, { lr: 1e-2, batchSize: 300, weightDecay: 0 }), { ...SPIRAL, hessianEvery: 5 }).finalLoss;
    assert.ok(loss < 1.5 * adamwLoss && loss < 0.1, `Sophia ${loss} vs AdamW ${adamwLoss}`);
  });
}

function sophiaRig() {
  const p = tensor(new Float32Array([1, 2, 3, 4]), [2, 2], { device: "cpu" });
  p.grad = tensor(new Float32Array([0.1, -0.2, 0.3, -0.4]), [2, 2], { device: "cpu" });
  const opt = new Sophia([p], { lr: 1e-2 });
  opt.step();
  opt.updateHessian();
  return { p, opt };
}
const throwsCode = (fn: () => unknown, code: string, mentions: string) => {
  try {
    fn();
  } catch (e) {
    assert.instance(e, CuoptimError);
    assert.is((e as CuoptimError).code, code, (e as Error).message);
    assert.ok((e as Error).message.includes(mentions), `"${(e as Error).message}" should mention ${mentions}`);
    return;
  }
  assert.unreachable("no error");
};

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
