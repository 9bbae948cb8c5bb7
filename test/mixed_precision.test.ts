// test/mixed_precision.test.ts — 16-bit params and grads against the plainly written reference
// of every mode (test/fixtures/gen/mixed_precision_reference.py), bit for bit, on every backend:
// round to nearest, master weights, stochastic rounding, state in the param's dtype.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Adafactor, AdamW, AdamW8bit, Lion, numThreads, setNumThreads, SGD, tensor, type Device, type FloatDType, type Tensor } from "../src-ts/index.js";
import { testDevices } from "./helpers/devices.js";
import { underEveryIsa } from "./helpers/isa.js";
import { decodeF32, decodeU8, fixturePaths, readFixture } from "./helpers/fixtures.js";
import { gradAt, initParam } from "./helpers/synth.js";

interface Encoded {
  dtype: "float32" | "bfloat16" | "float16" | "uint8";
  data: string;
}
interface MixedCase {
  name: string;
  optimizer: "AdamW" | "SGD" | "Lion" | "AdamW8bit" | "Adafactor";
  options: Record<string, unknown>;
  dtype: "bfloat16" | "float16";
  mode: "nearest" | "master" | "stochastic" | "state";
  seed: number;
  srSeed: number;
  steps: number;
  tensors: { shape: number[]; gradScale: number }[];
  snapshots: string[][];
  finalState: Record<string, Encoded>[];
}

const CTORS = { AdamW, SGD, Lion, AdamW8bit, Adafactor } as const;

function decodeU16(b64: string): Uint16Array {
  const bytes = Buffer.from(b64, "base64");
  const out = new Uint16Array(bytes.length / 2);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

function assertSameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) assert.unreachable(`${what}: element ${i}: bits ${actual[i]!.toString(16)}, expected ${expected[i]!.toString(16)}`);
  }
}

function precisionOptions(c: MixedCase): Record<string, unknown> {
  if (c.mode === "master") return { masterWeights: true };
  if (c.mode === "stochastic") return { stochasticRounding: true, seed: c.srSeed };
  if (c.mode === "state") return { stateDtype: "param" };
  return {};
}

function run(c: MixedCase, device: Device): void {
  const dtype: FloatDType = c.dtype;
  const params: Tensor[] = c.tensors.map((t, i) => tensor(initParam(c.seed, i, t.shape.reduce((a, b) => a * b, 1)), t.shape, { device, dtype }));
  const Ctor = CTORS[c.optimizer] as unknown as new (p: Tensor[], o: object) => InstanceType<typeof AdamW>;
  const opt = new Ctor(params, { ...c.options, ...precisionOptions(c) });
  for (let step = 1; step <= c.steps; step++) {
    params.forEach((p, i) => {
      p.grad = tensor(gradAt(c.seed, i, step, p.numel, c.tensors[i]!.gradScale), p.shape, { device, dtype });
    });
    opt.step();
    params.forEach((p, i) => assertSameBits(p.toBits(), decodeU16(c.snapshots[step - 1]![i]!), `${c.name} on ${device}: params[${i}] after step ${step}`));
  }
  params.forEach((p, i) => {
    const st = opt.state.get(p)!;
    for (const [name, e] of Object.entries(c.finalState[i]!)) {
      const t = st.tensors[name];
      assert.ok(t, `${c.name}: state ${name} of params[${i}] exists`);
      assert.is(t!.dtype, e.dtype, `${c.name}: state ${name} of params[${i}] dtype`);
      const what = `${c.name} on ${device}: state ${name} of params[${i}]`;
      if (e.dtype === "uint8") assertSameBits(t!.toBits(), decodeU8(e.data), what);
      else if (e.dtype === "float32") assertSameBits(t!.toBits() as Uint32Array, new Uint32Array(decodeF32(e.data).buffer), what);
      else assertSameBits(t!.toBits(), decodeU16(e.data), what);
    }
    assert.equal(Object.keys(st.tensors).sort(), Object.keys(c.finalState[i]!).sort(), `${c.name}: params[${i}]'s state names`);
  });
}

const cases = fixturePaths("mixed").map((p) => readFixture<MixedCase>(p));

test("the mixed-precision fixtures cover every optimizer, dtype and mode", () => {
  const names = new Set(cases.map((c) => `${c.optimizer}/${c.dtype}/${c.mode}`));
  for (const opt of ["AdamW", "SGD", "Lion", "AdamW8bit", "Adafactor"]) {
    for (const mode of ["nearest", "master", "stochastic"]) assert.ok(names.has(`${opt}/bfloat16/${mode}`), `${opt} bf16 ${mode}`);
    assert.ok(names.has(`${opt}/float16/nearest`), `${opt} f16`);
  }
  for (const opt of ["AdamW", "SGD", "Lion"]) assert.ok(names.has(`${opt}/bfloat16/state`), `${opt} bf16 state`);
});

for (const c of cases) {
  for (const device of testDevices()) {
    test(`${c.name} on ${device}: the reference's bits`, () => run(c, device));
  }
}

test("every cpu ISA gives every mixed-precision case the reference's bits", () => {
  const ran = underEveryIsa(() => {
    for (const c of cases) run(c, "cpu");
  });
  assert.ok(ran >= 2, "at least two ISAs");
});

// Large enough for the thread pool to split each tensor into several runs: stochastic rounding
// keys on the element's index within its tensor, so chunking and threads change nothing.
test("bf16 and f16 steps over multi-chunk tensors: the same bits for every thread count, ISA and backend", () => {
  const n = 300_007;
  const bits = (device: Device, dtype: "bfloat16" | "float16", opts: object) => {
    const p = tensor(initParam(9, 0, n), [n], { device, dtype });
    p.grad = tensor(gradAt(9, 0, 1, n, 1e-2), [n], { device, dtype });
    const opt = new AdamW([p], { lr: 1e-3, ...opts });
    opt.step();
    p.grad.set(gradAt(9, 0, 2, n, 1e-2));
    opt.step();
    return p.toBits();
  };
  const threads = numThreads();
  for (const dtype of ["bfloat16", "float16"] as const) {
    for (const opts of [{}, { stochasticRounding: true, seed: 4 }, { masterWeights: true }, { stateDtype: "param" }]) {
      const what = `${dtype} ${JSON.stringify(opts)}`;
      const want = bits("cuda-sim", dtype, opts);
      try {
        for (const t of [1, 2]) {
          setNumThreads(t);
          underEveryIsa((isa) => assertSameBits(bits("cpu", dtype, opts), want, `${what}, ${t} threads, ${isa}`));
        }
      } finally {
        setNumThreads(threads);
      }
    }
  }
});

test.run();
