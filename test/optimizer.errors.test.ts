// test/optimizer.errors.test.ts — bad input to tensors and optimizers: a CuoptimError naming the
// argument, thrown before anything changes (params, state and step counts stay as they were).
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  AdaBound,
  Adagrad,
  CAME,
  Adam,
  Adamax,
  AdamW,
  CuoptimError,
  Lion,
  Lookahead,
  NAdam,
  RAdam,
  RMSprop,
  SGD,
  tensor,
  zeros,
  type Optimizer,
  type Tensor,
} from "../src-ts/index.js";

function throwsCode(fn: () => unknown, code: string, mentions: string): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, CuoptimError);
    assert.is((e as CuoptimError).code, code, (e as Error).message);
    assert.ok((e as Error).message.includes(mentions), `"${(e as Error).message}" should mention "${mentions}"`);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

const cpu = { device: "cpu" } as const;
const param = () => {
  const p = tensor(new Float32Array([1, 2, 3, 4]), [2, 2], cpu);
  p.grad = tensor(new Float32Array([0.5, -0.5, 0.25, -0.25]), [2, 2], cpu);
  return p;
};

test("tensor(): data must be a Float32Array of the shape's numel", () => {
  throwsCode(() => tensor([1, 2, 3] as unknown as Float32Array, [3], cpu), "ERR_DTYPE", "data");
  throwsCode(() => tensor(new Float64Array(3) as unknown as Float32Array, [3], cpu), "ERR_DTYPE", "Float32Array");
  throwsCode(() => tensor(new Float32Array(5), [2, 3], cpu), "ERR_SHAPE", "expected 6 elements");
});

test("shapes: negative or fractional dimensions", () => {
  throwsCode(() => zeros([2, -1], cpu), "ERR_SHAPE", "shape[1]");
  throwsCode(() => zeros([1.5], cpu), "ERR_SHAPE", "shape[0]");
  throwsCode(() => tensor(new Float32Array(2), [2, 0.5], cpu), "ERR_SHAPE", "shape[1]");
});

test("devices: unknown names", () => {
  throwsCode(() => zeros([2], { device: "gpu" as "cpu" }), "ERR_DEVICE", '"gpu"');
});

test("freed tensors cannot be read, used as params or stepped", () => {
  const t = zeros([3], cpu);
  t.free();
  throwsCode(() => t.toArray(), "ERR_FREED", "toArray");
  throwsCode(() => new AdamW([t]), "ERR_FREED", "params[0]");
  const p = param();
  const opt = new AdamW([p]);
  p.free();
  throwsCode(() => opt.step(), "ERR_FREED", "params[0]");
});

for (const [option, value, code] of [
  ["lr", -1e-3, "ERR_RANGE"],
  ["lr", NaN, "ERR_RANGE"],
  ["eps", -1, "ERR_RANGE"],
  ["eps", NaN, "ERR_RANGE"],
  ["weightDecay", -0.1, "ERR_RANGE"],
  ["weightDecay", Infinity, "ERR_RANGE"],
  ["betas", [1, 0.999], "ERR_RANGE"],
  ["betas", [0.9, -0.1], "ERR_RANGE"],
  ["betas", [0.9], "ERR_INVALID_ARGUMENT"],
  ["amsgrad", "yes", "ERR_INVALID_ARGUMENT"],
  ["weight_decay", 0.1, "ERR_INVALID_ARGUMENT"],
] as const) {
  test(`options.${option} = ${JSON.stringify(value)} is rejected at construction and at step`, () => {
    throwsCode(() => new AdamW([param()], { [option]: value }), code, option);
    throwsCode(() => new Adam([{ params: [param()], [option]: value }]), code, option);
    if (option === "weight_decay") return;
    // Changed on a live group: step() refuses before touching anything.
    const p = param();
    const q = param();
    const opt = new AdamW([{ params: [p] }, { params: [q] }]);
    opt.step();
    const before = [p.toArray(), q.toArray()];
    (opt.paramGroups[1] as unknown as Record<string, unknown>)[option] = value;
    throwsCode(() => opt.step(), code, `paramGroups[1].${option}`);
    assert.equal(p.toArray(), before[0], "group 0 untouched");
    assert.equal(q.toArray(), before[1], "group 1 untouched");
    assert.is(opt.state.get(p)!.step, 1);
  });
}

const FAMILY: [string, (p: Tensor[], o: object) => Optimizer<object>, [string, unknown, string][]][] = [
  ["SGD", (p, o) => new SGD(p, o), [["lr", -0.1, "ERR_RANGE"], ["momentum", -0.9, "ERR_RANGE"], ["dampening", NaN, "ERR_RANGE"], ["weightDecay", -1, "ERR_RANGE"], ["nesterov", 1, "ERR_INVALID_ARGUMENT"]]],
  ["RMSprop", (p, o) => new RMSprop(p, o), [["alpha", -0.5, "ERR_RANGE"], ["eps", -1e-8, "ERR_RANGE"], ["momentum", -1, "ERR_RANGE"], ["centered", "yes", "ERR_INVALID_ARGUMENT"]]],
  ["Lion", (p, o) => new Lion(p, o), [["lr", Infinity, "ERR_RANGE"], ["betas", [1.5, 0.99], "ERR_RANGE"], ["betas", [0.9], "ERR_INVALID_ARGUMENT"], ["weightDecay", -0.1, "ERR_RANGE"]]],
  // torch's checks: lr, eps, weight_decay >= 0, betas in [0, 1), momentum_decay >= 0, lr_decay >= 0,
  // initial_accumulator_value >= 0; AdaBound (Luolc): final_lr > 0 here (0 freezes the bounds at 0), gamma in (0, 1).
  ["RAdam", (p, o) => new RAdam(p, o), [["eps", -1, "ERR_RANGE"], ["betas", [0.9, 1], "ERR_RANGE"], ["decoupledWeightDecay", 1, "ERR_INVALID_ARGUMENT"], ["maximize", "no", "ERR_INVALID_ARGUMENT"]]],
  ["NAdam", (p, o) => new NAdam(p, o), [["momentumDecay", -4e-3, "ERR_RANGE"], ["momentumDecay", NaN, "ERR_RANGE"], ["weightDecay", -1, "ERR_RANGE"], ["betas", [-0.1, 0.999], "ERR_RANGE"]]],
  ["Adamax", (p, o) => new Adamax(p, o), [["lr", -2e-3, "ERR_RANGE"], ["betas", [0.9, 1.5], "ERR_RANGE"], ["eps", Infinity, "ERR_RANGE"]]],
  ["Adagrad", (p, o) => new Adagrad(p, o), [["lrDecay", -0.1, "ERR_RANGE"], ["initialAccumulatorValue", -1, "ERR_RANGE"], ["eps", -1e-10, "ERR_RANGE"], ["weightDecay", -1, "ERR_RANGE"]]],
  ["CAME", (p, o) => new CAME(p, o), [["betas", [0.9, 0.999], "ERR_INVALID_ARGUMENT"], ["betas", [0.9, 0.999, 1.5], "ERR_RANGE"], ["eps", [1e-30, -1], "ERR_RANGE"], ["clipThreshold", 0, "ERR_RANGE"]]],
  ["AdaBound", (p, o) => new AdaBound(p, o), [["finalLr", 0, "ERR_RANGE"], ["finalLr", -0.1, "ERR_RANGE"], ["gamma", 1, "ERR_RANGE"], ["gamma", 0, "ERR_RANGE"], ["betas", [1, 0.999], "ERR_RANGE"], ["amsbound", 0, "ERR_INVALID_ARGUMENT"]]],
];
for (const [name, make, cases] of FAMILY) {
  for (const [option, value, code] of cases) {
    test(`${name}: options.${option} = ${JSON.stringify(value)} is rejected`, () => {
      throwsCode(() => make([param()], { [option]: value }), code, option);
      const p = param();
      const opt = make([p], {});
      opt.step();
      const before = p.toArray();
      (opt.paramGroups[0] as unknown as Record<string, unknown>)[option] = value;
      throwsCode(() => opt.step(), code, `paramGroups[0].${option}`);
      assert.equal(p.toArray(), before);
    });
  }
}

test("AdaBound: a group whose initial lr is 0 is refused (its bounds scale by lr / initial lr)", () => {
  throwsCode(() => new AdaBound([param()], { lr: 0 }), "ERR_RANGE", "paramGroups[0].lr");
  throwsCode(() => new AdaBound([{ params: [param()] }, { params: [param()], lr: 0 }]), "ERR_RANGE", "paramGroups[1].lr");
  const p = param();
  const opt = new AdaBound([p]);
  throwsCode(() => opt.addParamGroup({ params: [param()], lr: 0 }), "ERR_RANGE", "paramGroups[1].lr");
  assert.is(opt.paramGroups.length, 1);
  // lr may reach 0 later (a schedule's end): the step is then a no-op, as in the reference.
  opt.paramGroups[0]!.lr = 0;
  const before = p.toArray();
  opt.step();
  assert.equal(p.toArray(), before);
});

test("Lookahead: k < 1 or fractional, alpha outside [0, 1], or no optimizer to wrap", () => {
  const opt = new AdamW([param()]);
  throwsCode(() => new Lookahead(opt, { k: 0 }), "ERR_RANGE", "k");
  throwsCode(() => new Lookahead(opt, { k: 2.5 }), "ERR_RANGE", "k");
  throwsCode(() => new Lookahead(opt, { alpha: -0.1 }), "ERR_RANGE", "alpha");
  throwsCode(() => new Lookahead(opt, { alpha: 1.01 }), "ERR_RANGE", "alpha");
  throwsCode(() => new Lookahead(opt, { alpha: NaN }), "ERR_RANGE", "alpha");
  throwsCode(() => new Lookahead({} as never), "ERR_INVALID_ARGUMENT", "optimizer");
});

test("addParamGroup: the new group takes the defaults and steps with the rest", () => {
  const a = param();
  const b = param();
  const opt = new SGD([a], { lr: 0.1, momentum: 0.9 });
  opt.addParamGroup({ params: [b], lr: 0.01 });
  assert.is(opt.paramGroups[1]!.momentum, 0.9);
  assert.is(opt.paramGroups[1]!.lr, 0.01);
  opt.step();
  assert.equal([...b.toArray()].map((v) => Math.round(v * 1e4) / 1e4), [0.995, 2.005, 2.9975, 4.0025]);
  assert.equal(opt.stateDict().paramGroups[1]!.params, [1]);
  throwsCode(() => opt.addParamGroup({ params: [param()], lr: -1 }), "ERR_RANGE", "paramGroups[2].lr");
  assert.is(opt.paramGroups.length, 2);
});

test("a param listed twice, in one group or across groups", () => {
  const p = param();
  throwsCode(() => new AdamW([p, p]), "ERR_INVALID_ARGUMENT", "params[1]");
  throwsCode(() => new AdamW([{ params: [p] }, { params: [param(), p] }]), "ERR_INVALID_ARGUMENT", "paramGroups[1].params[1]");
  const opt = new AdamW([p]);
  throwsCode(() => opt.addParamGroup({ params: [p] }), "ERR_INVALID_ARGUMENT", "already a param");
  assert.is(opt.paramGroups.length, 1);
});

test("grad shape must equal the param's", () => {
  const p = param();
  throwsCode(() => {
    p.grad = zeros([4], cpu);
  }, "ERR_SHAPE", "expected shape [2, 2]");
  throwsCode(() => {
    p.grad = zeros([2, 3], cpu);
  }, "ERR_SHAPE", "got [2, 3]");
});

test("a grad freed after assignment fails the whole step before any group changes", () => {
  const a: Tensor = param();
  const b: Tensor = param();
  const opt = new AdamW([{ params: [a] }, { params: [b], lr: 0.1 }]);
  const before = a.toArray();
  b.grad!.free();
  throwsCode(() => opt.step(), "ERR_FREED", "paramGroups[1].params[0].grad");
  assert.equal(a.toArray(), before);
  assert.is(opt.state.size, 0);
});

test("empty params", () => {
  throwsCode(() => new AdamW([]), "ERR_INVALID_ARGUMENT", "params");
});

test("params without a grad are skipped, like torch", () => {
  const p = param();
  const q = tensor(new Float32Array([1, 1]), [2], cpu);
  const opt = new AdamW([p, q]);
  opt.step();
  assert.equal([...q.toArray()], [1, 1]);
  assert.not.ok(opt.state.has(q));
  assert.is(opt.state.get(p)!.step, 1);
});

test("zeroGrad zero-fills by default and drops grads with setToNone", () => {
  const p = param();
  const opt = new AdamW([p]);
  const g = p.grad!;
  opt.zeroGrad();
  assert.is(p.grad, g);
  assert.equal([...g.toArray()], [0, 0, 0, 0]);
  opt.zeroGrad({ setToNone: true });
  assert.is(p.grad, null);
});

test("the native layer rejects malformed calls with CuoptimErrors too", async () => {
  const { native } = await import("../src-ts/native.js");
  const opts = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, gradScale: 1, decoupled: true, amsgrad: false, maximize: false };
  const p = param();
  const z = () => zeros([2, 2], cpu).native;
  const step = (lists: unknown[], steps: unknown = [1], fresh: unknown = [true], options: unknown = opts, op = "adam") =>
    native.optimizerStep(op as "adam", lists as never, steps as never, fresh as never, options as never);
  throwsCode(() => step([[{}], [], [], [], null], [1], [true], {}), "ERR_INVALID_ARGUMENT", "options.lr");
  throwsCode(() => step([[p.native], [p.native], [p.grad!.native], [z()], null]), "ERR_INVALID_ARGUMENT", "more than once");
  throwsCode(() => step([[p.native], [p.grad!.native], [zeros([4], cpu).native], [z()], null]), "ERR_SHAPE", "expAvg[0]");
  throwsCode(() => step([[p.native], [p.grad!.native], [z()], [z()], null], [0]), "ERR_RANGE", "steps[0]");
  throwsCode(() => step([[p.native], [p.grad!.native], [z()], [z()], null], [1], ["yes"]), "ERR_INVALID_ARGUMENT", "fresh[0]");
  throwsCode(() => step([[{} as never], [p.grad!.native], [z()], [z()], null]), "ERR_INVALID_ARGUMENT", "params[0]");
  throwsCode(() => step([[p.native], [p.grad!.native], [z()], [z()]]), "ERR_INVALID_ARGUMENT", "5 tensor lists");
  throwsCode(() => step([[p.native], [p.grad!.native], [z()], [z()], null], [1], [true], { ...opts, amsgrad: true }), "ERR_INVALID_ARGUMENT", "maxExpAvgSq");
  throwsCode(() => step([[p.native], [p.grad!.native], [z()], [z()], null], [1], [true], opts, "no_such_op" as never), "ERR_INVALID_ARGUMENT", "unknown optimizer");
  // NAdam's host scalars: one finite number per param; Lookahead reads no gradient.
  const nadam = { ...opts, momentumDecay: 4e-3 };
  const nadamStep = (hostState: unknown) =>
    native.optimizerStep("nadam", [[p.native], [p.grad!.native], [z()], [z()]], [1], [true], nadam, hostState as never);
  throwsCode(() => nadamStep(undefined), "ERR_INVALID_ARGUMENT", "hostState");
  throwsCode(() => nadamStep([1, 1]), "ERR_INVALID_ARGUMENT", "hostState");
  throwsCode(() => nadamStep(["1"]), "ERR_INVALID_ARGUMENT", "hostState[0]");
  throwsCode(() => native.optimizerStep("lookahead", [[p.native], [p.grad!.native], [z()]], [1], [false], { alpha: 0.5 }), "ERR_INVALID_ARGUMENT", "lists[1]");
  throwsCode(() => native.optimizerStep("lookahead", [[p.native], null, [z()]], [1], [false], { alpha: 2 }), "ERR_RANGE", "options.alpha");
  assert.equal([...p.toArray()], [1, 2, 3, 4], "nothing changed");
});

test.run();
