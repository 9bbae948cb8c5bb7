// test/mixed_precision.behaviour.test.ts — 16-bit tensors and training beyond the reference
// fixtures: the tensor API, stochastic rounding's bias, bf16 training against float32 on the
// spiral MLP, the guard and GradScaler over fp16 grads, state dicts with masters, bad input.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Adafactor, AdamW, GradScaler, memoryStats, SGD, tensor, zeros, type Tensor } from "../src-ts/index.js";
import { testDevices } from "./helpers/devices.js";
import { throwsCode } from "./helpers/throws.js";
import { trainSpiral } from "./helpers/spiral.js";

const devices = testDevices();


test("16-bit tensors: values round to nearest-even, raw bits pass as they are, toArray widens", () => {
  for (const device of devices) {
    // 1 + 2^-8 is a tie between bf16 1 and 1 + 2^-7: even is 1. 3.14159 -> 0x4049 (3.140625).
    const b = tensor(new Float32Array([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.14159, -0]), [5], { device, dtype: "bfloat16" });
    assert.equal([...b.toBits()], [0x3f80, 0x3f80, 0x3f82, 0x4049, 0x8000]);
    assert.equal([...b.toArray()], [1, 1, 1 + 2 ** -6, 3.140625, -0]);
    const h = tensor(new Uint16Array([0x3c00, 0x0001, 0x7bff, 0xfc00]), [4], { device, dtype: "float16" });
    assert.equal([...h.toArray()], [1, 2 ** -24, 65504, -Infinity]);
    // numpy's float16 agrees: 65520 is the first value that rounds to Inf.
    assert.equal([...tensor(new Float32Array([65519, 65520, 2 ** -25, 3 * 2 ** -26]), [4], { device, dtype: "float16" }).toBits()], [0x7bff, 0x7c00, 0, 1]);
    assert.is(b.bytes, 10);
    assert.is(String(b), `Tensor(shape=[5], device=${device}, dtype=bfloat16)`);
  }
  const c = zeros([3], { device: "cpu", dtype: "bfloat16" });
  assert.instance(c.data, Uint16Array);
  c.data[1] = 0x4000; // zero-copy: the raw bits of 2
  assert.equal([...c.toArray()], [0, 2, 0]);
});

test("16-bit tensors: memoryStats counts 2 bytes per element", () => {
  const before = memoryStats("cpu").current.other;
  const t = zeros([1000], { device: "cpu", dtype: "float16" });
  assert.is(memoryStats("cpu").current.other - before, 2000);
  t.free();
});

test("bad 16-bit input: dtype names, array types and lengths, grad dtypes", () => {
  throwsCode(() => zeros([2], { dtype: "half" as never }), "ERR_DTYPE", /options\.dtype: expected "float32", "bfloat16" or "float16", got "half"/);
  throwsCode(() => tensor(new Uint16Array(2), [2]), "ERR_DTYPE", /data: expected a Float32Array, got Uint16Array/);
  throwsCode(() => tensor(new Float64Array(2) as never, [2], { dtype: "bfloat16" }), "ERR_DTYPE", /or a Uint16Array \(raw bfloat16 bits\)/);
  throwsCode(() => tensor(new Uint16Array(3), [2], { dtype: "float16" }), "ERR_SHAPE", /expected 2 elements/);
  const p = zeros([2], { device: "cpu", dtype: "bfloat16" });
  throwsCode(() => (p.grad = zeros([2], { device: "cpu", dtype: "float16" })), "ERR_DTYPE", /grad: expected dtype bfloat16 \(the param's\) or float32, got float16/);
  const f = zeros([2], { device: "cpu" });
  throwsCode(() => (f.grad = zeros([2], { device: "cpu", dtype: "bfloat16" })), "ERR_DTYPE", /expected dtype float32 \(the param's\), got bfloat16/);
  throwsCode(() => new AdamW([f], { masterWeights: true }), "ERR_DTYPE", /paramGroups\[0\]\.params\[0\]: masterWeights is for bfloat16 \/ float16 params; this one is float32/);
  throwsCode(() => new AdamW([f], { stochasticRounding: true }), "ERR_DTYPE", /stochasticRounding is for bfloat16/);
  throwsCode(() => new AdamW([p], { stochasticRounding: true, masterWeights: true }), "ERR_INVALID_ARGUMENT", /stochasticRounding: not with masterWeights/);
  throwsCode(() => new Adafactor([p], { stateDtype: "param" }), "ERR_INVALID_ARGUMENT", /stateDtype: "param" is for element-wise optimizers/);
  throwsCode(() => new AdamW([p], { stateDtype: "half" as never }), "ERR_INVALID_ARGUMENT", /stateDtype: expected "float32" or "param"/);
  throwsCode(() => new AdamW([p], { stochasticRounding: true, seed: -1 }), "ERR_RANGE", /options\.seed/);
});

// One SGD step (lr 1, a float32 grad) takes every element of a 16-bit param from 1 to
// x = 1 + 0.3 ulp. Rounded to nearest each lands on 1; stochastically, on 1 + ulp with
// probability 0.3, so the mean of n roundings is x within 5 standard deviations,
// 5 ulp sqrt(0.3 * 0.7 / n).
test("stochastic rounding is unbiased: the mean of many roundings of one value is that value", () => {
  const n = 200_000;
  for (const device of devices) {
    for (const [dtype, ulp] of [["bfloat16", 2 ** -7], ["float16", 2 ** -10]] as const) {
      for (const stochastic of [false, true]) {
        const p = tensor(new Float32Array(n).fill(1), [n], { device, dtype });
        p.grad = tensor(new Float32Array(n).fill(-0.3 * ulp), [n], { device });
        const opt = new SGD([p], { lr: 1, ...(stochastic ? { stochasticRounding: true, seed: 99 } : {}) });
        opt.step();
        const v = p.toArray();
        const mean = v.reduce((a, b) => a + b, 0) / n;
        const x = 1 + 0.3 * ulp;
        if (!stochastic) assert.is(mean, 1, `${dtype} nearest: every element rounds down`);
        else assert.ok(Math.abs(mean - x) < 5 * ulp * Math.sqrt(0.21 / n), `${dtype} on ${device}: mean ${mean} vs ${x} (bias ${(mean - x) / ulp} ulp)`);
        assert.ok(v.every((e) => e === 1 || e === 1 + ulp), "each element rounds to a neighbour");
      }
    }
  }
});

test("stochastic rounding: the same seed gives the same bits on every backend, another seed others", () => {
  const bits = (device: "cpu" | "cuda-sim", seed: number) => {
    const p = tensor(new Float32Array(5000).map((_, i) => Math.sin(i)), [5000], { device, dtype: "bfloat16" });
    p.grad = tensor(new Float32Array(5000).map((_, i) => Math.cos(i) * 1e-3), [5000], { device, dtype: "bfloat16" });
    const opt = new AdamW([p], { lr: 1e-3, stochasticRounding: true, seed });
    for (let k = 0; k < 3; k++) opt.step();
    assert.is(opt.stateDict().seed, seed);
    return [...p.toBits()];
  };
  assert.equal(bits("cpu", 5), bits("cuda-sim", 5));
  assert.not.equal(bits("cpu", 5), bits("cpu", 6));
});

// bf16 params without masters stall once updates fall below half an ulp (lr 2e-3 against weights
// of order 1, whose bf16 ulp is 2^-7 ~ 8e-3); stochastic rounding keeps them moving on average,
// masters keep the float32 trajectory.
test("bf16 training on the spiral MLP: masters and stochastic rounding track float32, nearest rounding does not", () => {
  const run = (dtype: "float32" | "bfloat16", extra: object) =>
    trainSpiral("cpu", (params) => new AdamW(params as Tensor[], { lr: 2e-3, weightDecay: 0, ...extra }), { hidden: 32, steps: 300, seed: 3, dtype }).finalLoss;
  const f32 = run("float32", {});
  const master = run("bfloat16", { masterWeights: true });
  const sr = run("bfloat16", { stochasticRounding: true, seed: 1 });
  const nearest = run("bfloat16", {});
  console.log(`  spiral MLP, AdamW lr 2e-3, 300 steps: final loss f32 ${f32.toFixed(4)}, bf16+master ${master.toFixed(4)}, bf16+SR ${sr.toFixed(4)}, bf16 nearest ${nearest.toFixed(4)}`);
  assert.ok(Math.abs(master - f32) < 0.1 * f32, `master ${master} vs f32 ${f32}`);
  assert.ok(Math.abs(sr - f32) < Math.abs(nearest - f32), `SR ${sr} closer to f32 ${f32} than nearest ${nearest}`);
  assert.ok(nearest > f32 * 1.2, `nearest ${nearest} lags f32 ${f32}`);
});

test("fp16 grads: an overflowed (Inf) gradient skips the step with params, masters and state bitwise unchanged; GradScaler backs off", () => {
  for (const device of devices) {
    const p = tensor(new Float32Array(100).map((_, i) => Math.sin(i)), [100], { device, dtype: "float16" });
    const g = new Float32Array(100).map((_, i) => Math.cos(i) * 100);
    p.grad = tensor(g, [100], { device, dtype: "float16" });
    const opt = new AdamW([p], { lr: 1e-3, masterWeights: true });
    const scaler = new GradScaler({ initScale: 1024 });
    assert.ok(scaler.step(opt).applied);
    scaler.update();
    const before = { p: [...p.toBits()], s: Object.fromEntries(Object.entries(opt.state.get(p)!.tensors).map(([k, t]) => [k, [...t.toBits()]])) };
    g[7] = 70000; // beyond float16's range: the grad holds Inf
    p.grad.set(g);
    assert.is(p.grad.toArray()[7], Infinity);
    const r = scaler.step(opt);
    assert.is(r.applied, false);
    scaler.update();
    assert.is(scaler.getScale(), 512);
    assert.equal([...p.toBits()], before.p);
    for (const [k, t] of Object.entries(opt.state.get(p)!.tensors)) assert.equal([...t.toBits()], before.s[k], `${k} unchanged`);
    assert.is(opt.state.get(p)!.step, 1);
  }
});

test("clipGradNorm over bf16 grads: the norm of their values, and one rounding of the scaled grads", async () => {
  const { clipGradNorm } = await import("../src-ts/index.js");
  const p = zeros([3], { device: "cpu", dtype: "bfloat16" });
  p.grad = tensor(new Float32Array([3, 4, 0]), [3], { device: "cpu", dtype: "bfloat16" });
  const norm = clipGradNorm([p], 1);
  assert.is(norm, 5);
  const coef = Math.fround(1 / Math.fround(5 + Math.fround(1e-6)));
  const expected = tensor(new Float32Array([Math.fround(3 * coef), Math.fround(4 * coef), 0]), [3], { device: "cpu", dtype: "bfloat16" });
  assert.equal([...p.grad.toBits()], [...expected.toBits()]);
});

test("clipGradValue over f16 grads clamps their values (NaN stays NaN)", async () => {
  const { clipGradValue } = await import("../src-ts/index.js");
  for (const device of devices) {
    const p = zeros([4], { device, dtype: "float16" });
    p.grad = tensor(new Float32Array([0.25, -3, 2, NaN]), [4], { device, dtype: "float16" });
    clipGradValue([p], 1.5);
    const v = p.grad.toArray();
    assert.equal([...v.slice(0, 3)], [0.25, -1.5, 1.5]);
    assert.ok(Number.isNaN(v[3]));
  }
});

test("state dicts with masters: saved and loaded exactly; a dict without masters starts them from the params", () => {
  const make = () => {
    const p = tensor(new Float32Array(50).map((_, i) => Math.sin(i)), [50], { device: "cpu", dtype: "bfloat16" });
    p.grad = tensor(new Float32Array(50).map((_, i) => Math.cos(i)), [50], { device: "cpu", dtype: "bfloat16" });
    return p;
  };
  const p = make();
  const opt = new AdamW([p], { lr: 1e-2, masterWeights: true });
  opt.step();
  const dict = opt.stateDict();
  assert.instance(dict.state[0]!.master, Float32Array);
  const q = make();
  const other = new AdamW([q], { lr: 1e-2, masterWeights: true });
  other.loadStateDict(dict);
  assert.equal([...other.state.get(q)!.tensors.master!.toBits()], [...opt.state.get(p)!.tensors.master!.toBits()]);
  const { master: _m, ...withoutMaster } = dict.state[0]!;
  const third = new AdamW([q], { lr: 1e-2, masterWeights: true });
  third.loadStateDict({ ...dict, state: { 0: withoutMaster as never } });
  assert.equal([...third.state.get(q)!.tensors.master!.toArray()], [...q.toArray()]);
  // Masters where the optimizer keeps none, and float32 moments into bf16 state, are refused.
  throwsCode(() => new AdamW([make()], { lr: 1e-2 }).loadStateDict(dict), "ERR_STATE_DICT", /state\[0\]\.master: not part of this optimizer's state/);
  const f32State = new AdamW([make()], { lr: 1e-2 });
  f32State.step();
  throwsCode(() => new AdamW([make()], { lr: 1e-2, stateDtype: "param" }).loadStateDict(f32State.stateDict()), "ERR_STATE_DICT", /expAvg.*bfloat16/);
});

test.run();
