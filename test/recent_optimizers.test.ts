// test/recent_optimizers.test.ts — AdEMAMix, Schedule-Free SGD / AdamW, LAMB and Muon beyond their reference
// fixtures (reference.parity.test.ts checks their numbers element by element): each trains the
// spiral MLP of test/helpers/spiral.ts (full batch, 200 steps, from 1.16; AdamW at lr 1e-2 reaches
// 0.022, SGD at lr 0.5 0.074), the Schedule-Free mode switch and its state dict, and bad options,
// each refused before anything changes. Muon trains the MLP's matrices beside an AdamW for its
// biases (the README's pattern).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AdEMAMix, AdEMAMix8bit, AdamW, AdamWScheduleFree, CuoptimError, LAMB, Muon, SGDScheduleFree, load, save, tensor, type Optimizer, type Tensor } from "../src-ts/index.js";
import { native } from "../src-ts/native.js";
import { testDevices } from "./helpers/devices.js";
import { heavyTest } from "./helpers/heavy.js";
import { trainSpiral } from "./helpers/spiral.js";

const SPIRAL = { hidden: 32, steps: 200, seed: 3 };
const atX = { beforeFinal: (o: Optimizer<object>) => (o as unknown as { eval(): void }).eval() };
const any = (o: unknown) => o as Optimizer<object>;

/** Muon for the matrices, AdamW for the rest: one object that steps both (what the README shows). */
function muonWithAdamW(params: Tensor[], muon: ConstructorParameters<typeof Muon>[1]): Optimizer<object> {
  const m = new Muon(params.filter((p) => p.shape.length === 2), muon);
  const a = new AdamW(params.filter((p) => p.shape.length !== 2), { lr: 1e-2, weightDecay: 0 });
  return {
    step: () => (m.step(), a.step()),
    free: () => (m.free(), a.free()),
  } as unknown as Optimizer<object>;
}

const CASES: [string, (p: Tensor[]) => Optimizer<object>, number, object?][] = [
  ["AdEMAMix (lr 1e-2)", (p) => any(new AdEMAMix(p, { lr: 1e-2 })), 0.05],
  ["AdEMAMix (lr 1e-2, alpha and beta3 warmup over 200 steps)", (p) => any(new AdEMAMix(p, { lr: 1e-2, tAlpha: 200, tBeta3: 200 })), 0.05],
  // min8bitSize 256: the 32 x 32 matrix (1024 elements) steps on 8-bit state, the rest on 32-bit.
  ["AdEMAMix8bit (lr 1e-2, the hidden matrix in 8 bits)", (p) => any(new AdEMAMix8bit(p, { lr: 1e-2, min8bitSize: 256 })), 0.06],
  ["SGDScheduleFree (defaults, measured at x)", (p) => any(new SGDScheduleFree(p)), 0.1, atX],
  ["AdamWScheduleFree (lr 1e-2, measured at x)", (p) => any(new AdamWScheduleFree(p, { lr: 1e-2 })), 0.05, atX],
  ["LAMB (lr 1e-2)", (p) => any(new LAMB(p, { lr: 1e-2 })), 0.15],
  ["LAMB (lr 3e-2, NVLAMB, no decay)", (p) => any(new LAMB(p, { lr: 3e-2, weightDecay: 0, useNvlamb: true })), 0.1],
  ["Muon (lr 0.02, no decay) + AdamW for the biases", (p) => muonWithAdamW(p, { lr: 0.02, weightDecay: 0 }), 0.05],
  ["Muon (lr 0.02, bfloat16 iteration) + AdamW for the biases", (p) => muonWithAdamW(p, { lr: 0.02, weightDecay: 0, nsDtype: "bfloat16" }), 0.05],
];

for (const device of testDevices().filter((d) => d !== "cuda")) {
  for (const [name, make, bound, extra] of CASES) {
    heavyTest(`${device}: ${name} trains the spiral MLP below ${bound}`, () => {
      const { losses, finalLoss } = trainSpiral(device, make, { ...SPIRAL, ...extra });
      assert.ok(finalLoss < bound, `${name}: final loss ${finalLoss} (start ${losses[0]})`);
    });
  }
}

function matrix(): Tensor {
  const p = tensor(new Float32Array([1, -2, 3, 0.5, 0.25, -1]), [2, 3], { device: "cpu" });
  p.grad = tensor(new Float32Array([0.1, 0.2, -0.3, 0.4, -0.5, 0.6]), [2, 3], { device: "cpu" });
  return p;
}

function param(values = [1, -2, 3]): Tensor {
  const p = tensor(new Float32Array(values), [values.length], { device: "cpu" });
  p.grad = tensor(new Float32Array(values.map((v) => 0.1 * v + 0.05)), [values.length], { device: "cpu" });
  return p;
}
const f32 = Math.fround;

test("Schedule-Free: eval() moves the params to x = y + (1 − 1/β)(z − y), train() back; both are no-ops when repeated", () => {
  const p = param();
  const opt = new SGDScheduleFree([p], { lr: 0.1, momentum: 0.8 });
  opt.step();
  opt.step();
  const y = p.toArray();
  const z = opt.state.get(p)!.tensors.z!.toArray() as Float32Array;
  opt.eval();
  opt.eval();
  assert.is(opt.trainMode, false);
  const w = f32(1 - 1 / 0.8);
  const x = y.map((v, i) => f32(v + f32(w * f32(z[i]! - v))));
  assert.equal(Array.from(p.toArray()), Array.from(x));
  opt.train();
  opt.train();
  const back = x.map((v, i) => f32(v + f32(f32(1 - 0.8) * f32(z[i]! - v))));
  assert.equal(Array.from(p.toArray()), Array.from(back));
  assert.is(opt.trainMode, true);
  opt.free();
});

test("Schedule-Free: a step in eval mode is refused, nothing changes", () => {
  const p = param();
  const opt = new AdamWScheduleFree([p]);
  opt.step();
  opt.eval();
  const before = p.toArray();
  const dict = opt.stateDict();
  assert.throws(() => opt.step(), (e: unknown) => e instanceof CuoptimError && e.code === "ERR_INVALID_ARGUMENT" && /eval mode.*train\(\)/.test(e.message));
  assert.equal(Array.from(p.toArray()), Array.from(before));
  assert.equal(opt.stateDict(), dict);
  opt.free();
});

test("Schedule-Free: the state dict and checkpoints keep the mode; a bad mode is refused before anything changes", () => {
  const p = param();
  const opt = new AdamWScheduleFree([p], { lr: 1e-2 });
  opt.step();
  opt.eval();
  const dict = opt.stateDict();
  assert.is(dict.trainMode, false);
  const other = new AdamWScheduleFree([param()], { lr: 1e-2 });
  assert.throws(() => other.loadStateDict({ ...dict, trainMode: "no" as never }), (e: unknown) => e instanceof CuoptimError && e.code === "ERR_STATE_DICT" && /trainMode/.test(e.message));
  assert.is(other.trainMode, true);
  assert.is(other.state.size, 0);
  other.checkStateDict(dict);
  assert.is(other.trainMode, true, "checkStateDict changes nothing");
  other.loadStateDict(dict);
  assert.is(other.trainMode, false);
  assert.throws(() => other.step(), /eval mode/);
  // Through a checkpoint file.
  const dir = mkdtempSync(join(tmpdir(), "cuoptim-sf-"));
  try {
    const file = join(dir, "sf.safetensors");
    save(file, { optimizer: opt });
    assert.ok(existsSync(file));
    const third = new AdamWScheduleFree([param()], { lr: 1e-2 });
    load(file, { optimizer: third });
    assert.is(third.trainMode, false);
    assert.equal(third.stateDict().state, dict.state);
    third.free();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // A dict without the field (saved by another tool, or before it existed) is in train mode.
  const { trainMode: _, ...old } = dict;
  other.loadStateDict(old);
  assert.is(other.trainMode, true);
  opt.free();
  other.free();
});

test("Schedule-Free: eval() with a freed param in a later group moves no param and keeps the mode", () => {
  const a = param();
  const b = param([4, 5, 6]);
  const opt = new SGDScheduleFree([{ params: [a] }, { params: [b] }], { lr: 0.1 });
  opt.step();
  const before = Array.from(a.toArray());
  b.free();
  assert.throws(() => opt.eval(), (e: unknown) => e instanceof CuoptimError && /paramGroups\[1\]\.params\[0\]/.test(e.message));
  assert.equal(Array.from(a.toArray()), before);
  assert.is(opt.trainMode, true);
  opt.free();
});

test("Schedule-Free on bfloat16 params with master weights: the mode switch runs on the masters", () => {
  const p = tensor(new Float32Array([1, -2, 3]), [3], { device: "cpu", dtype: "bfloat16" });
  p.grad = tensor(new Float32Array([0.15, -0.15, 0.35]), [3], { device: "cpu", dtype: "bfloat16" });
  const opt = new SGDScheduleFree([p], { lr: 0.1, masterWeights: true });
  opt.step();
  opt.step();
  const s = opt.state.get(p)!.tensors;
  const y = s.master!.toArray() as Float32Array;
  const z = s.z!.toArray() as Float32Array;
  opt.eval();
  const w = f32(1 - 1 / 0.9);
  const x = Array.from(y, (v, i) => f32(v + f32(w * f32(z[i]! - v))));
  assert.equal(Array.from(s.master!.toArray()), x);
  const bf16 = (v: number) => {
    const b = new Float32Array([v]);
    const u = new Uint32Array(b.buffer);
    u[0] = (u[0]! + 0x7fff + ((u[0]! >>> 16) & 1)) & 0xffff0000;
    return b[0]!;
  };
  assert.equal(Array.from(p.toArray()), x.map(bf16));
  opt.free();
});

test("LAMB: the clipping norm spans every group of the step; the trust ratio is kept per param", () => {
  // Two groups, one param each; gradients (3, 4) and (12): global norm 13, so with maxGradNorm 1
  // each gradient is divided by 13. With β's bias correction the first update is m̂/(√v̂ + ε) =
  // sign(g)·|g|/(|g| + ε·13) per element, plus λθ.
  const a = tensor(new Float32Array([1, 2]), [2], { device: "cpu" });
  a.grad = tensor(new Float32Array([3, 4]), [2], { device: "cpu" });
  const b = tensor(new Float32Array([5]), [1], { device: "cpu" });
  b.grad = tensor(new Float32Array([12]), [1], { device: "cpu" });
  const opt = new LAMB([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1, eps: 0, weightDecay: 0.01 });
  opt.step();
  const f = Math.fround;
  const expect = (p: number[], g: number[], lr: number) => {
    const u = g.map((gi, i) => f(f(Math.sign(gi)) + f(f(0.01) * f(p[i]!))));
    const wn = f(Math.hypot(...p)), un = f(Math.hypot(...u));
    const ratio = f(f(lr) * f(wn / un));
    return { values: p.map((pi, i) => f(pi - f(ratio * u[i]!))), trust: ratio / f(lr) };
  };
  const ea = expect([1, 2], [3, 4], 0.1), eb = expect([5], [12], 0.5);
  assert.equal(Array.from(a.toArray()), ea.values);
  assert.equal(Array.from(b.toArray()), eb.values);
  assert.is(opt.state.get(a)!.scalars.trustRatio, ea.trust);
  // The moments saw the clipped gradient: m = (1 − β1)·g/13.
  const m = opt.state.get(b)!.tensors.expAvg!.toArray();
  assert.equal(Array.from(m), [f(f(1 - f(0.9)) * f(12 / f(13)))]);
  opt.free();
});

test("Muon: a 1-D param in addParamGroup is refused with nothing added; bfloat16 params with masters step the masters as float32 params step", () => {
  const opt = new Muon([matrix()]);
  assert.throws(() => opt.addParamGroup({ params: [param()] }), /paramGroups\[1\]\.params\[0\]: Muon takes 2-D params only/);
  assert.is(opt.paramGroups.length, 1);
  opt.free();
  // bfloat16-representable values, so both runs see the same numbers.
  const values = [1, -2, 3, 0.5, 0.25, -1, 1.5, 2, -0.75, 0.125, 4, -3];
  const grads = [0.125, 0.25, -0.375, 0.5, -0.625, 0.75, 0.0625, -0.5, 1, -1, 0.25, 0.5];
  const full = tensor(new Float32Array(values), [3, 4], { device: "cpu" });
  full.grad = tensor(new Float32Array(grads), [3, 4], { device: "cpu" });
  const half = tensor(new Float32Array(values), [3, 4], { device: "cpu", dtype: "bfloat16" });
  half.grad = tensor(new Float32Array(grads), [3, 4], { device: "cpu", dtype: "bfloat16" });
  const a = new Muon([full], { lr: 0.05 });
  const b = new Muon([half], { lr: 0.05, masterWeights: true });
  for (let i = 0; i < 3; i++) {
    a.step();
    b.step();
  }
  assert.equal(Array.from(b.state.get(half)!.tensors.master!.toArray()), Array.from(full.toArray()));
  a.free();
  b.free();
});

test("Muon: same-shape matrices stepped side by side (batches of 16, each product one call) give each one's bits alone", () => {
  for (const device of testDevices().filter((d) => d !== "cuda")) {
    const make = (shape: [number, number], i: number) => {
      const n = shape[0] * shape[1];
      const p = tensor(Float32Array.from({ length: n }, (_, k) => Math.sin(i * 7.1 + k * 0.37)), shape, { device });
      p.grad = tensor(Float32Array.from({ length: n }, (_, k) => Math.cos(i * 3.3 + k * 0.11) * 0.1), shape, { device });
      return p;
    };
    const shapes: [number, number][] = [...Array.from({ length: 20 }, (): [number, number] => [6, 9]), [9, 6], [9, 6], [9, 6]];
    const together = shapes.map(make);
    const alone = shapes.map(make);
    const opt = new Muon(together, { lr: 0.02, nsDtype: "bfloat16" });
    const singles = alone.map((p) => new Muon([p], { lr: 0.02, nsDtype: "bfloat16" }));
    for (let s = 0; s < 3; s++) {
      opt.step();
      for (const o of singles) o.step();
    }
    together.forEach((p, i) => assert.equal(Array.from(p.toArray()), Array.from(alone[i]!.toArray()), `${device}: matrix ${i}`));
    opt.free();
    for (const o of singles) o.free();
  }
});

test("gemmBatched refuses a product that writes what another reads, before anything runs", () => {
  const t = () => tensor(new Float32Array([1, 2, 3, 4]), [2, 2], { device: "cpu" });
  const [a, b, c, d] = [t(), t(), t(), t()];
  const o = { m: 2, n: 2, k: 2, aOffset: 0, lda: 2, transA: false, bOffset: 0, ldb: 2, transB: false, cOffset: 0, ldc: 2, alpha: 1, beta: 0 };
  assert.throws(() => native.gemmBatched([a.native, b.native], [a.native, b.native], [c.native, a.native], o), /cs\[1\]: must share no tensor/);
  assert.throws(() => native.gemmBatched([a.native, b.native], [a.native, b.native], [c.native, c.native], o), /cs\[1\]: the same tensor as cs\[0\]/);
  assert.equal(Array.from(c.toArray()), [1, 2, 3, 4]);
  native.gemmBatched([a.native, b.native], [a.native, b.native], [c.native, d.native], o);
  const one = t();
  native.gemm(a.native, a.native, one.native, o);
  assert.equal(Array.from(c.toArray()), Array.from(one.toArray()), "each product as gemm gives it");
  assert.equal(Array.from(d.toArray()), Array.from(one.toArray()));
});

test("bad options are refused at construction and in a later step, naming the option", () => {
  const cases: [() => unknown, RegExp][] = [
    [() => new AdEMAMix([param()], { betas: [0.9, 0.999] as never }), /options\.betas: expected an array of 3 numbers/],
    [() => new AdEMAMix([param()], { tAlpha: 2.5 }), /options\.tAlpha: expected a whole number/],
    [() => new AdEMAMix([param()], { tBeta3: 100, betas: [0, 0.999, 0.9999] }), /options\.betas \(with tBeta3\)\[0\]/],
    [() => new AdEMAMix([param()], { alpha: -1 }), /options\.alpha/],
    [() => new AdEMAMix8bit([param()], { blockSize: 100 }), /options\.blockSize: expected a power of two/],
    [() => new AdEMAMix8bit([param()], { tBeta3: 10, betas: [0.9, 0.999, 1] }), /options\.betas\[2\]/],
    [() => new SGDScheduleFree([param()], { momentum: 1 }), /options\.momentum/],
    [() => new SGDScheduleFree([param()], { momentum: 0 }), /options\.momentum/],
    [() => new AdamWScheduleFree([param()], { betas: [0, 0.999] }), /options\.betas\[0\]/],
    [() => new AdamWScheduleFree([param()], { warmupSteps: 1.5 }), /options\.warmupSteps/],
    [() => new AdamWScheduleFree([param()], { weightLrPower: -1 }), /options\.weightLrPower/],
    [() => new LAMB([param()], { maxGradNorm: 0 }), /options\.maxGradNorm: expected a finite float32 number > 0/],
    [() => new LAMB([param()], { betas: [0.9, 1] }), /options\.betas\[1\]/],
    [() => new LAMB([param()], { useNvlamb: 1 as never }), /options\.useNvlamb: expected a boolean/],
    [() => new Muon([param()]), /params\[0\]: Muon takes 2-D params only.*got shape \[3\]/],
    [() => new Muon([{ params: [matrix()] }, { params: [matrix(), param()] }]), /paramGroups\[1\]\.params\[1\]: Muon takes 2-D params only/],
    [() => new Muon([matrix()], { nsSteps: 100 }), /options\.nsSteps: expected a whole number in \[1, 100\)/],
    [() => new Muon([matrix()], { nsSteps: 0 }), /options\.nsSteps/],
    [() => new Muon([matrix()], { adjustLrFn: "match_rms_adamw" as never }), /options\.adjustLrFn: expected one of "original", "matchRmsAdamw"/],
    [() => new Muon([matrix()], { nsDtype: "float16" as never }), /options\.nsDtype/],
    [() => new Muon([matrix()], { nsCoefficients: [1, 2] as never }), /options\.nsCoefficients: expected an array of 3 numbers/],
    [() => new Muon([matrix()], { eps: 0 }), /options\.eps/],
  ];
  for (const [make, message] of cases) assert.throws(make, (e: unknown) => e instanceof CuoptimError && message.test((e as Error).message));
  const p = param();
  const opt = new AdEMAMix([p]);
  opt.paramGroups[0]!.betas = [0.9, 2, 0.9999];
  assert.throws(() => opt.step(), (e: unknown) => e instanceof CuoptimError && /paramGroups\[0\]\.betas\[1\]/.test((e as Error).message));
  assert.equal(Array.from(p.toArray()), [1, -2, 3]);
  assert.is(opt.state.size, 0);
});

test.run();
