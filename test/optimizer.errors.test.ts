// test/optimizer.errors.test.ts — bad input to tensors and optimizers: a CuoptimError naming the
// argument, thrown before anything changes (params, state and step counts stay as they were).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Adam, AdamW, CuoptimError, Lion, RMSprop, SGD, tensor, zeros, type Optimizer, type Tensor } from "../src-ts/index.js";

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
  throwsCode(() => step([[p.native], [p.grad!.native], [z()], [z()], null], [1], [true], opts, "adagrad"), "ERR_INVALID_ARGUMENT", "unknown optimizer");
  assert.equal([...p.toArray()], [1, 2, 3, 4], "nothing changed");
});

test.run();
