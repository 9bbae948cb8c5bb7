// test/state_dict.test.ts — stateDict / loadStateDict for every optimizer: a run saved after 10
// steps and resumed in a fresh optimizer (on the same or another backend) continues bit for bit
// like the uninterrupted run; bad dicts are refused with nothing changed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  AdaBound,
  Adafactor,
  CAME,
  Adagrad,
  Adam,
  Adamax,
  AdamW,
  AdamW8bit,
  CuoptimError,
  Lion,
  Lookahead,
  NAdam,
  RAdam,
  RMSprop,
  SGD,
  Shampoo,
  Sophia,
  tensor,
  type Device,
  type Optimizer,
  type Tensor,
} from "../src-ts/index.js";
import { assertBitwiseEqual } from "./helpers/compare.js";
import { testDevices } from "./helpers/devices.js";
import { gradAt, initParam } from "./helpers/synth.js";

type Make = (groups: { params: Tensor[] }[]) => Optimizer<object>;
const OPTIMIZERS: [string, Make][] = [
  ["Adam", (g) => new Adam(g, { lr: 1e-2 })],
  ["AdamW amsgrad", (g) => new AdamW(g, { lr: 1e-2, amsgrad: true, weightDecay: 0.1 })],
  ["SGD momentum", (g) => new SGD(g, { lr: 0.05, momentum: 0.9, dampening: 0.1 })],
  ["SGD nesterov", (g) => new SGD(g, { lr: 0.05, momentum: 0.9, nesterov: true })],
  ["RMSprop centered momentum", (g) => new RMSprop(g, { lr: 1e-3, centered: true, momentum: 0.5 })],
  ["Lion", (g) => new Lion(g, { lr: 1e-3, weightDecay: 0.1 })],
  ["AdamW8bit (32-bit path: small params)", (g) => new AdamW8bit(g, { lr: 1e-2 })],
  ["Adafactor", (g) => new Adafactor(g, { lr: 0.05, weightDecay: 0.01 })],
  ["Adafactor transformers beta1", (g) => new Adafactor(g, { variant: "transformers", beta1: 0.9 })],
  ["RAdam decoupled", (g) => new RAdam(g, { lr: 1e-2, weightDecay: 0.1, decoupledWeightDecay: true })],
  ["NAdam (host scalar muProduct)", (g) => new NAdam(g, { lr: 1e-2, weightDecay: 0.01 })],
  ["Adamax", (g) => new Adamax(g, { lr: 1e-2 })],
  ["Adagrad", (g) => new Adagrad(g, { lr: 0.05, lrDecay: 0.01, initialAccumulatorValue: 0.1 })],
  ["AMSBound", (g) => new AdaBound(g, { lr: 1e-2, amsbound: true, gamma: 0.05 })],
  ["Sophia", (g) => new Sophia(g, { lr: 1e-2, batchSize: 8 })],
  ["CAME", (g) => new CAME(g, { lr: 1e-2, weightDecay: 0.01 })],
  ["Shampoo (roots from step 3, blocks of 3)", (g) => new Shampoo(g, { lr: 1e-2, preconditionFrequency: 3, startPreconditioningStep: 3, maxPreconditionerDim: 3 })],
];
const SHAPES = [[4, 3], [5], [1]];
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

function setup(device: Device, make: Make, values?: Float32Array[]) {
  const params = SHAPES.map((s, i) => tensor(values?.[i] ?? initParam(9, i, numel(s)), s, { device }));
  const opt = make([{ params: [params[0]!, params[1]!] }, { params: [params[2]!] }]);
  return { params, opt };
}

function train(params: Tensor[], opt: { step(): unknown }, from: number, to: number): void {
  for (let step = from; step < to; step++) {
    params.forEach((p, i) => {
      // param 1 skips a step: its state's step count then differs from the others'
      p.grad = i === 1 && step === 3 ? null : tensor(gradAt(9, i, step, p.numel, 0.1), p.shape, { device: p.device });
    });
    opt.step();
  }
}

const devices = testDevices();
for (const [name, make] of OPTIMIZERS) {
  for (const from of devices) {
    for (const to of devices) {
      test(`${name}: save on ${from}, resume on ${to}: the next 10 steps match an uninterrupted run bitwise`, () => {
        const straight = setup(from, make);
        train(straight.params, straight.opt, 0, 20);

        const first = setup(from, make);
        train(first.params, first.opt, 0, 10);
        const dict = first.opt.stateDict();
        const resumed = setup(to, make, first.params.map((p) => p.toArray()));
        resumed.opt.loadStateDict(dict);
        train(resumed.params, resumed.opt, 10, 20);

        resumed.params.forEach((p, i) => assertBitwiseEqual(p.toArray(), straight.params[i]!.toArray(), `param ${i}`));
        const a = resumed.opt.stateDict();
        const b = straight.opt.stateDict();
        assert.equal(Object.keys(a.state), Object.keys(b.state));
        for (const k of Object.keys(b.state)) {
          const sa = a.state[Number(k)]!, sb = b.state[Number(k)]!;
          assert.is(sa.step, sb.step, `state ${k} step`);
          for (const f of Object.keys(sb)) {
            if (f === "step") continue;
            if (typeof sb[f] === "number") assert.ok(Object.is(sa[f], sb[f]), `state ${k}.${f}: ${String(sa[f])} vs ${String(sb[f])}`);
            else assertBitwiseEqual(sa[f] as Float32Array, sb[f] as Float32Array, `state ${k}.${f}`);
          }
        }
        assert.equal(a.paramGroups, b.paramGroups);
      });
    }
  }
}

// Lookahead: saved mid-cycle (10 steps, k = 3), the resumed run syncs on the same steps.
for (const from of devices) {
  for (const to of devices) {
    test(`Lookahead(AdamW): save on ${from}, resume on ${to}: the next 10 steps match an uninterrupted run bitwise`, () => {
      const make = (d: Device, values?: Float32Array[]) => {
        const s = setup(d, (g) => new AdamW(g, { lr: 1e-2 }), values);
        return { params: s.params, la: new Lookahead(s.opt, { k: 3, alpha: 0.4 }) };
      };
      const straight = make(from);
      train(straight.params, straight.la, 0, 20);
      const first = make(from);
      train(first.params, first.la, 0, 10);
      const dict = first.la.stateDict();
      assert.is(dict.stepsSinceSync, 1);
      const resumed = make(to, first.params.map((p) => p.toArray()));
      resumed.la.loadStateDict(dict);
      train(resumed.params, resumed.la, 10, 20);
      resumed.params.forEach((p, i) => {
        assertBitwiseEqual(p.toArray(), straight.params[i]!.toArray(), `param ${i}`);
        assertBitwiseEqual(resumed.la.slowWeights(p)!.toArray(), straight.la.slowWeights(straight.params[i]!)!.toArray(), `slow ${i}`);
      });
    });
  }
}

test("Lookahead: bad state dicts are refused and change nothing", () => {
  const s = setup("cpu", (g) => new AdamW(g, { lr: 1e-2 }));
  const la = new Lookahead(s.opt, { k: 3 });
  train(s.params, la, 0, 4);
  const good = la.stateDict();
  const before = la.stateDict();
  const bad: [string, (d: typeof good) => void][] = [
    ["another k", (d) => (d.k = 4)],
    ["stepsSinceSync >= k", (d) => (d.stepsSinceSync = 3)],
    ["slow weights of the wrong size", (d) => (d.slow[0] = new Float32Array(2))],
    ["missing slow weights", (d) => delete d.slow[2]],
    ["a slow key that is no param", (d) => (d.slow[7] = new Float32Array(1))],
    ["a bad inner dict", (d) => ((d.inner.paramGroups[0] as unknown as { lr: number }).lr = -1)],
  ];
  for (const [what, spoil] of bad) {
    const d = structuredClone(good);
    spoil(d);
    try {
      la.loadStateDict(d);
      assert.unreachable(`${what}: accepted`);
    } catch (e) {
      assert.instance(e, CuoptimError, what);
      assert.is((e as CuoptimError).code, "ERR_STATE_DICT", `${what}: ${(e as Error).message}`);
    }
  }
  const after = la.stateDict();
  assert.is(after.stepsSinceSync, before.stepsSinceSync);
  for (const k of Object.keys(before.slow)) assertBitwiseEqual(after.slow[Number(k)]!, before.slow[Number(k)]!, `slow ${k}`);
  assert.equal(after.inner.paramGroups, before.inner.paramGroups);
});

test("NAdam: a missing or non-finite muProduct is refused", () => {
  const s = setup("cpu", (g) => new NAdam(g));
  train(s.params, s.opt, 0, 2);
  const good = s.opt.stateDict();
  for (const value of [undefined, NaN, "0.5"]) {
    const d = structuredClone(good);
    (d.state[0] as Record<string, unknown>).muProduct = value;
    if (value === undefined) delete (d.state[0] as Record<string, unknown>).muProduct;
    assert.throws(() => s.opt.loadStateDict(d), (e: unknown) => e instanceof CuoptimError && /muProduct/.test((e as Error).message));
  }
  assert.is(s.opt.stateDict().state[0]!.muProduct, good.state[0]!.muProduct);
});

test("stateDict is torch-shaped: state by param index, groups with options and param indices", () => {
  const { params, opt } = setup("cpu", (g) => new AdamW(g, { lr: 3e-4 }));
  train(params, opt, 0, 2);
  const d = opt.stateDict();
  assert.equal(d.paramGroups.map((g) => g.params), [[0, 1], [2]]);
  assert.is((d.paramGroups[0] as unknown as { lr: number }).lr, 3e-4);
  assert.equal(Object.keys(d.state), ["0", "1", "2"]);
  assert.is(d.state[0]!.step, 2);
  assert.instance(d.state[0]!.expAvg, Float32Array);
  assert.is((d.state[0]!.expAvg as Float32Array).length, 12);
});

// Bad dicts: each refused with ERR_STATE_DICT, and the optimizer's next step is exactly that of
// a twin that never saw the bad dict.
function badDicts(good: ReturnType<Optimizer<object>["stateDict"]>): [string, unknown][] {
  const clone = () => structuredClone(good) as { state: Record<number, Record<string, unknown>>; paramGroups: Record<string, unknown>[] };
  const withState = (f: (d: ReturnType<typeof clone>) => void) => {
    const d = clone();
    f(d);
    return d;
  };
  return [
    ["garbage", "not a dict"],
    ["null", null],
    ["no paramGroups", { state: {} }],
    ["wrong group count", withState((d) => d.paramGroups.pop())],
    ["wrong param count in a group", withState((d) => (d.paramGroups[0]!.params as number[]).pop())],
    ["a param index out of range", withState((d) => ((d.paramGroups[1]!.params as number[])[0] = 7))],
    ["a param index used twice", withState((d) => ((d.paramGroups[1]!.params as number[])[0] = 0))],
    ["state of the wrong size", withState((d) => (d.state[0]!.expAvg = new Float32Array(3)))],
    ["state of the wrong dtype", withState((d) => (d.state[0]!.expAvg = new Float64Array(12)))],
    ["a missing state tensor", withState((d) => delete d.state[1]!.expAvgSq)],
    ["an unknown state key", withState((d) => (d.state[1]!.momentum = new Float32Array(5)))],
    ["a fractional step", withState((d) => (d.state[2]!.step = 1.5))],
    ["a state key that is no param", withState((d) => (d.state[9] = { step: 1 }))],
    ["a missing option", withState((d) => delete d.paramGroups[0]!.betas)],
    ["an option out of range", withState((d) => (d.paramGroups[0]!.lr = -1))],
    ["an option of the wrong type", withState((d) => (d.paramGroups[1]!.amsgrad = "no"))],
    ["an unknown option", withState((d) => (d.paramGroups[1]!.momentum = 0.9))],
  ];
}

for (const device of devices) {
  test(`${device}: bad state dicts are refused and change nothing`, () => {
    const make: Make = (g) => new Adam(g, { lr: 1e-2 });
    const a = setup(device, make);
    train(a.params, a.opt, 0, 4);
    const good = a.opt.stateDict();
    for (const [what, dict] of badDicts(good)) {
      try {
        a.opt.loadStateDict(dict as never);
        assert.unreachable(`${what}: accepted`);
      } catch (e) {
        assert.instance(e, CuoptimError, what);
        assert.is((e as CuoptimError).code, "ERR_STATE_DICT", `${what}: ${(e as Error).message}`);
      }
    }
    const twin = setup(device, make, a.params.map((p) => p.toArray()));
    twin.opt.loadStateDict(good);
    train(a.params, a.opt, 4, 6);
    train(twin.params, twin.opt, 4, 6);
    a.params.forEach((p, i) => assertBitwiseEqual(p.toArray(), twin.params[i]!.toArray(), `param ${i}`));
  });
}

test("SGD: Nesterov without momentum, or with dampening, is refused as in torch", () => {
  const p = tensor(new Float32Array(2), [2], { device: "cpu" });
  for (const o of [{ nesterov: true }, { nesterov: true, momentum: 0.9, dampening: 0.1 }]) {
    assert.throws(() => new SGD([p], o), (e: unknown) => e instanceof CuoptimError && /Nesterov/.test((e as Error).message));
  }
});

test.run();
