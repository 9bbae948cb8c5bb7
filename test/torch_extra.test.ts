// test/torch_extra.test.ts — Adadelta, Rprop and ASGD (torch.optim's, torch 1.13) and LARS train a small real
// problem: the spiral MLP of test/helpers/spiral.ts, full batch, 200 steps, on every backend. Their
// numbers are checked element by element against torch in torch.parity.test.ts (LARS against its
// reference in reference.parity.test.ts); this checks they
// optimise. Thresholds: the initial loss is 1.16; AdamW (lr 1e-2) reaches 0.022 here, SGD (lr 0.5)
// about what ASGD at the same lr reaches (t0 1e6: no averaging yet, a slowly decaying step). Bad
// options are refused as torch refuses them, before anything changes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ASGD, Adadelta, CuoptimError, LARS, Rprop, SGD, tensor, type Optimizer, type Tensor } from "../src-ts/index.js";
import { testDevices } from "./helpers/devices.js";
import { heavyTest } from "./helpers/heavy.js";
import { trainSpiral } from "./helpers/spiral.js";

const SPIRAL = { hidden: 32, steps: 200, seed: 3 };
const sgdLoss = trainSpiral("cpu", (p) => new SGD(p, { lr: 0.5 }), SPIRAL).finalLoss;

const CASES: [string, (p: Tensor[]) => Optimizer<object>, number][] = [
  ["Adadelta (defaults)", (p) => new Adadelta(p) as unknown as Optimizer<object>, 0.1],
  ["Rprop (defaults)", (p) => new Rprop(p) as unknown as Optimizer<object>, 0.05],
  ["LARS (lr 1)", (p) => new LARS(p, { lr: 1 }) as unknown as Optimizer<object>, 0.05],
  ["ASGD (lr 0.5)", (p) => new ASGD(p, { lr: 0.5 }) as unknown as Optimizer<object>, Math.max(0.15, 1.05 * sgdLoss)],
];

for (const device of testDevices().filter((d) => d !== "cuda")) {
  for (const [name, make, bound] of CASES) {
    heavyTest(`${device}: ${name} trains the spiral MLP below ${bound.toFixed(3)}`, () => {
      const { losses, finalLoss } = trainSpiral(device, make, SPIRAL);
      assert.ok(finalLoss < bound, `${name}: final loss ${finalLoss} (start ${losses[0]}; SGD lr 0.5: ${sgdLoss})`);
    });
  }
}

test("bad options are refused at construction and in a later step, naming the option", () => {
  const param = () => tensor(new Float32Array([1, 2]), [2], { device: "cpu" });
  const cases: [() => unknown, RegExp][] = [
    [() => new Rprop([param()], { etas: [1.2, 0.5] }), /options\.etas: expected 0 < etas\[0\] < 1 < etas\[1\]/],
    [() => new Rprop([param()], { stepSizes: [1, 0.1] }), /options\.stepSizes: expected stepSizes\[0\] <= stepSizes\[1\]/],
    [() => new Adadelta([param()], { rho: 1.5 }), /options\.rho/],
    [() => new ASGD([param()], { lr: -1 }), /options\.lr/],
    [() => new ASGD([param()], { t0: NaN }), /options\.t0/],
    [() => new LARS([param()], { trustCoefficient: 0 }), /options\.trustCoefficient/],
    [() => new LARS([param()], { momentum: 1 }), /options\.momentum/],
  ];
  for (const [make, message] of cases) assert.throws(make, (e: unknown) => e instanceof CuoptimError && message.test((e as Error).message));
  const p = param();
  p.grad = tensor(new Float32Array([0.5, -0.5]), [2], { device: "cpu" });
  const opt = new Rprop([p]);
  opt.paramGroups[0]!.etas = [0.5, 0.9];
  assert.throws(() => opt.step(), (e: unknown) => e instanceof CuoptimError && /paramGroups\[0\]\.etas/.test((e as Error).message));
  assert.equal(Array.from(p.toArray()), [1, 2]);
  assert.is(opt.state.size, 0);
});

test.run();
