// test/op_list.test.ts — the TypeScript layer's list of element-wise ops is the addon's
// (kernels/math/elementwise.cuh's CUOPTIM_ELEMENTWISE_OPS), and the state an element-wise
// optimizer keeps is what the addon says its op uses under the group's options.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as cuoptim from "../src-ts/index.js";
import { ELEMENTWISE_OPS, native } from "../src-ts/native.js";

test("ELEMENTWISE_OPS lists the addon's element-wise ops, in its order", () => {
  assert.equal([...ELEMENTWISE_OPS], Object.keys(native.elementwiseOps()));
});

test("every op names as many states as its kernel has, and reports whether it reads a gradient", () => {
  const ops = native.elementwiseOps();
  assert.equal(ops.adam!.states, ["expAvg", "expAvgSq", "maxExpAvgSq"]);
  assert.equal(ops.ema!.states, []);
  assert.is(ops.lookahead!.readsGrad, false);
  assert.is(ops.sgd!.readsGrad, true);
  for (const [name, info] of Object.entries(ops)) {
    assert.is(new Set(info.states).size, info.states.length, `${name}: duplicate state names`);
  }
});

test("elementwiseStates follows the options' flags", () => {
  const adam = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, gradScale: 1, decoupled: false, maximize: false };
  assert.equal(native.elementwiseStates("adam", { ...adam, amsgrad: false }), ["expAvg", "expAvgSq"]);
  assert.equal(native.elementwiseStates("adam", { ...adam, amsgrad: true }), ["expAvg", "expAvgSq", "maxExpAvgSq"]);
  try {
    native.elementwiseStates("nope" as never, adam);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, cuoptim.CuoptimError);
    assert.is((e as cuoptim.CuoptimError).code, "ERR_INVALID_ARGUMENT");
  }
});

// Each optimizer, a configuration of it, and the states torch (or the reference) keeps then.
const CASES: [string, () => cuoptim.Optimizer<object>, string[]][] = [
  ["SGD", () => new cuoptim.SGD([param()], { lr: 0.1 }), []],
  ["SGD momentum", () => new cuoptim.SGD([param()], { lr: 0.1, momentum: 0.9 }), ["momentumBuffer"]],
  ["Adam", () => new cuoptim.Adam([param()]), ["expAvg", "expAvgSq"]],
  ["AdamW amsgrad", () => new cuoptim.AdamW([param()], { amsgrad: true }), ["expAvg", "expAvgSq", "maxExpAvgSq"]],
  ["RMSprop", () => new cuoptim.RMSprop([param()]), ["squareAvg"]],
  ["RMSprop centered momentum", () => new cuoptim.RMSprop([param()], { centered: true, momentum: 0.5 }), ["squareAvg", "gradAvg", "momentumBuffer"]],
  ["Lion", () => new cuoptim.Lion([param()]), ["expAvg"]],
  ["RAdam", () => new cuoptim.RAdam([param()]), ["expAvg", "expAvgSq"]],
  ["NAdam", () => new cuoptim.NAdam([param()]), ["expAvg", "expAvgSq"]],
  ["Adamax", () => new cuoptim.Adamax([param()]), ["expAvg", "expInf"]],
  ["Adagrad", () => new cuoptim.Adagrad([param()], { initialAccumulatorValue: 0.5 }), ["sum"]],
  ["AdaBound amsbound", () => new cuoptim.AdaBound([param()], { amsbound: true }), ["expAvg", "expAvgSq", "maxExpAvgSq"]],
  ["Sophia", () => new cuoptim.Sophia([param()]), ["expAvg", "hessian"]],
  ["Adadelta", () => new cuoptim.Adadelta([param()]), ["squareAvg", "accDelta"]],
  ["Rprop", () => new cuoptim.Rprop([param()]), ["prev", "stepSize"]],
  ["ASGD", () => new cuoptim.ASGD([param()]), ["ax"]],
  ["LARS", () => new cuoptim.LARS([param()]), ["momentumBuffer"]],
  ["AdEMAMix", () => new cuoptim.AdEMAMix([param()]), ["m1", "m2", "nu"]],
  ["SGDScheduleFree", () => new cuoptim.SGDScheduleFree([param()]), ["z"]],
  ["AdamWScheduleFree", () => new cuoptim.AdamWScheduleFree([param()]), ["z", "expAvgSq"]],
  ["LAMB (the update is a step temporary)", () => new cuoptim.LAMB([param()]), ["expAvg", "expAvgSq"]],
  ["Muon (the update is a step temporary)", () => new cuoptim.Muon([matrixParam()]), ["momentumBuffer"]],
];

function matrixParam(): cuoptim.Tensor {
  const p = cuoptim.tensor(new Float32Array([0.5, -1, 2, 1]), [2, 2], { device: "cpu" });
  p.grad = cuoptim.tensor(new Float32Array([0.1, 0.2, -0.3, 0.4]), [2, 2], { device: "cpu" });
  return p;
}

function param(): cuoptim.Tensor {
  const p = cuoptim.tensor(new Float32Array([0.5, -1, 2]), [3], { device: "cpu" });
  p.grad = cuoptim.tensor(new Float32Array([0.1, 0.2, -0.3]), [3], { device: "cpu" });
  return p;
}

for (const [name, make, states] of CASES) {
  test(`${name} keeps the states its op uses: ${states.join(", ") || "none"}`, () => {
    const opt = make();
    opt.step();
    const saved = opt.stateDict().state[0] as Record<string, unknown> | undefined;
    const tensors = Object.keys(saved ?? {}).filter((k) => k !== "step" && k !== "muProduct" && k !== "eta" && k !== "trustRatio" && k !== "lrMax" && k !== "weightSum");
    assert.equal(tensors, states);
    opt.free();
  });
}

test("Adagrad's sum starts at initialAccumulatorValue", () => {
  const p = param();
  const opt = new cuoptim.Adagrad([p], { lr: 0, initialAccumulatorValue: 0.5 });
  opt.step();
  const sum = (opt.stateDict().state[0] as Record<string, Float32Array>).sum!;
  const g = [0.1, 0.2, -0.3];
  assert.equal(Array.from(sum), g.map((x) => Math.fround(0.5 + Math.fround(x) * Math.fround(x))));
});

test.run();
