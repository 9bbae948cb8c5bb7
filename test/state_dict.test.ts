// test/state_dict.test.ts — stateDict / loadStateDict for every optimizer: a run saved after 10
// steps and resumed in a fresh optimizer (on the same or another backend) continues bit for bit
// like the uninterrupted run; bad dicts are refused with nothing changed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Adafactor, Adam, AdamW, AdamW8bit, CuoptimError, Lion, RMSprop, SGD, tensor, type Device, type Optimizer, type Tensor } from "../src-ts/index.js";
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
];
const SHAPES = [[4, 3], [5], [1]];
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

function setup(device: Device, make: Make, values?: Float32Array[]) {
  const params = SHAPES.map((s, i) => tensor(values?.[i] ?? initParam(9, i, numel(s)), s, { device }));
  const opt = make([{ params: [params[0]!, params[1]!] }, { params: [params[2]!] }]);
  return { params, opt };
}

function train(params: Tensor[], opt: Optimizer<object>, from: number, to: number): void {
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
          for (const f of Object.keys(sb)) if (f !== "step") assertBitwiseEqual(sa[f] as Float32Array, sb[f] as Float32Array, `state ${k}.${f}`);
        }
        assert.equal(a.paramGroups, b.paramGroups);
      });
    }
  }
}

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
