// test/adam8bit.test.ts — 8-bit blockwise Adam/AdamW/Lion against the independent reference of
// bitsandbytes' algorithm (test/fixtures/gen/adam8bit_reference.py), on every backend; codes,
// absmax and maps; memory per param; a training run against 32-bit AdamW; bad input.
//
// Tolerances: params to 1e-6 relative (floor 1e-4) over 50 steps. The reference does the same
// float32 operations in the same order, so everything is expected bit-identical — codes and
// absmax are required identical (the two nearest-code methods, binary search here and
// searchsorted there, differ only for a value exactly on a midpoint, which these fixtures do not
// hit; the test reports where if they ever do).
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  Adam8bit, AdamW, AdamW8bit, CuoptimError, dequantizeBlockwise, dynamicMap, Lion8bit, memoryStats, quantizeBlockwise,
  tensor, type Device, type Optimizer, type Tensor,
} from "../src-ts/index.js";
import { assertBitwiseEqual } from "./helpers/compare.js";
import { testDevices } from "./helpers/devices.js";
import { heavyTest } from "./helpers/heavy.js";
import { decodeF32, decodeU8, FIXTURES, fixturePaths, readFixture } from "./helpers/fixtures.js";
import { trainSpiral } from "./helpers/spiral.js";
import { assertReplayMatches, freeReplay, replay, type TorchCase } from "./helpers/torch_case.js";

const cases = fixturePaths("reference")
  .map((p) => readFixture<TorchCase>(p))
  .filter((c) => c.optimizer.endsWith("8bit"));

test("8-bit fixtures are present", () => {
  assert.ok(cases.length >= 5, `found ${cases.length}`);
});

for (const device of testDevices()) {
  for (const c of cases) {
    test(`${device}: ${c.name} (${c.optimizer}) matches the reference: params, codes, absmax`, () => {
      const r = replay(c, device);
      assertReplayMatches(c, r, { rtol: 1e-6, floor: 1e-4 }, (state, k, v, what) => {
        const got = state.tensors[k]!;
        if (got.dtype === "uint8") {
          const want = decodeU8(v as string);
          const have = got.toArray() as Uint8Array;
          const off = have.findIndex((x, j) => x !== want[j]);
          assert.is(off, -1, `${what}: code ${off} is ${have[off]}, reference ${want[off]}`);
        } else {
          assertBitwiseEqual(got.toArray() as Float32Array, decodeF32(v as string), what);
        }
      });
      freeReplay(r);
    });
  }
}

test("dynamic maps: bitsandbytes' construction, within 2 ulps of torch 1.13's linspace build", () => {
  const maps = readFixture<Record<string, { reference: string; torch: string }>>(`${FIXTURES}/quant8/dynamic_maps.json`);
  for (const signed of [true, false]) {
    const ours = dynamicMap({ signed });
    const m = maps[signed ? "signed" : "unsigned"]!;
    assertBitwiseEqual(ours, decodeF32(m.reference), `${signed ? "signed" : "unsigned"} map vs the reference`);
    const torchMap = decodeF32(m.torch);
    let ulps = 0;
    const bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0]!;
    ours.forEach((v, i) => (ulps = Math.max(ulps, Math.abs(bits(v) - bits(torchMap[i]!)))));
    // torch.linspace's vectorised arange rounds differently from an exactly rounded linspace
    assert.ok(ulps <= 2, `${signed ? "signed" : "unsigned"}: ${ulps} ulps from torch's map`);
    assert.is(ours.length, 256);
    assert.is(ours[255], 1);
    assert.ok(ours.every((v, i) => i === 0 || v >= ours[i - 1]!), "sorted");
  }
  const s = dynamicMap({ signed: true });
  assert.is(s[127], 0, "signed map: 0 at index 127");
  assert.ok(s[0]! > -1, "signed map: -1 is not a code");
  assert.is(dynamicMap({ signed: false })[0], 0);
});

test("every backend rounds values on, beside and between the codes' midpoints to the same codes", () => {
  // With 1.0 in every block the absmax is 1, so x = value exactly: midpoints are exact ties.
  for (const signed of [true, false]) {
    const map = dynamicMap({ signed });
    const values: number[] = [];
    for (let j = 0; j < 255; j++) {
      const mid = Math.fround((map[j]! + map[j + 1]!) * 0.5);
      const below = new Float32Array([mid]);
      new Uint32Array(below.buffer)[0]! -= 1;
      values.push(1, mid, below[0]!, -mid, map[j]!, -map[j]!, Math.fround(mid * 0.999));
    }
    values.push(0, -0, 1e-30, -1e-30, 1, -1);
    const x = new Float32Array(values);
    const codes = testDevices().map((device) => {
      const q = quantizeBlockwise(tensor(x, [x.length], { device }), { blockSize: 64, signed });
      return q.codes.toArray() as Uint8Array;
    });
    for (const c of codes.slice(1)) assertBitwiseEqual(c, codes[0]!, `${signed ? "signed" : "unsigned"} codes`);
  }
});

for (const device of testDevices()) {
  test(`${device}: quantizeBlockwise / dequantizeBlockwise: every value comes back as its nearest code`, () => {
    const n = 10_000;
    const x = tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 13))), [100, 100], { device });
    for (const blockSize of [64, 256, 4096]) {
      const q = quantizeBlockwise(x, { blockSize });
      assert.is(q.absmax.numel, Math.ceil(n / blockSize));
      const y = dequantizeBlockwise(q).toArray();
      const xs = x.toArray();
      const absmax = q.absmax.toArray();
      const map = dynamicMap();
      for (let i = 0; i < n; i++) {
        const a = absmax[Math.floor(i / blockSize)]!;
        const xn = xs[i]! / a;
        let nearest = Infinity;
        for (const v of map) nearest = Math.min(nearest, Math.abs(v - xn));
        // |dequantized - x| is the nearest code's distance, scaled back (float32 rounding aside)
        assert.ok(Math.abs(y[i]! - xs[i]!) <= nearest * a * (1 + 1e-5) + 1e-6, `element ${i}: ${y[i]} for ${xs[i]}`);
      }
      assert.equal([...q.shape], [100, 100]);
    }
  });

  test(`${device}: quantizeBlockwise / dequantizeBlockwise into given tensors: the same bits; bad out tensors refused, nothing written`, () => {
    const x = tensor(Float32Array.from({ length: 1000 }, (_, i) => Math.cos(i * 0.11) * (i % 7)), [10, 100], { device });
    const fresh = quantizeBlockwise(x, { blockSize: 64 });
    // Tensors to reuse, as a training loop would: those of an earlier call.
    const zeros = tensor(new Float32Array(1000), [10, 100], { device });
    const { codes, absmax } = quantizeBlockwise(zeros, { blockSize: 64 });
    const flat = tensor(new Float32Array(1000), [1000], { device });
    const flatQ = quantizeBlockwise(flat, { blockSize: 64 });
    const flatCodes = flatQ.codes;
    const q = quantizeBlockwise(x, { blockSize: 64, out: { codes, absmax } });
    assert.ok(q.codes === codes && q.absmax === absmax, "the result holds the given tensors");
    assertBitwiseEqual(codes.toArray() as Uint8Array, fresh.codes.toArray() as Uint8Array, "codes");
    assertBitwiseEqual(absmax.toArray() as Float32Array, fresh.absmax.toArray() as Float32Array, "absmax");
    const out = tensor(new Float32Array(1000), [10, 100], { device });
    assert.ok(dequantizeBlockwise(q, { out }) === out);
    assertBitwiseEqual(out.toArray() as Float32Array, dequantizeBlockwise(fresh).toArray() as Float32Array, "dequantized");
    const other: Device = device === "cpu" ? "cuda-sim" : "cpu";
    const before = [codes.toArray().slice(), absmax.toArray().slice(), out.toArray().slice()];
    const bad: [string, () => unknown, RegExp][] = [
      ["codes dtype", () => quantizeBlockwise(x, { blockSize: 64, out: { codes: absmax as never, absmax } }), /out\.codes: expected a uint8 tensor/],
      ["codes shape", () => quantizeBlockwise(x, { blockSize: 64, out: { codes: flatCodes, absmax } }), /out\.codes: expected shape \[10, 100\]/],
      ["absmax size", () => quantizeBlockwise(x, { blockSize: 256, out: { codes, absmax } }), /out\.absmax: expected shape \[4\]/],
      ["absmax device", () => quantizeBlockwise(x, { blockSize: 64, out: { codes, absmax: tensor(new Float32Array(16), [16], { device: other }) } }), /out\.absmax: expected a tensor on/],
      ["out not an object", () => quantizeBlockwise(x, { out: 3 as never }), /out: expected \{ codes, absmax \}/],
      ["dequantize out dtype", () => dequantizeBlockwise(q, { out: codes as never }), /out: expected a float32 tensor/],
      ["dequantize out shape", () => dequantizeBlockwise(q, { out: tensor(new Float32Array(1000), [1000], { device }) }), /out: expected shape/],
    ];
    for (const [what, call, message] of bad) {
      assert.throws(call, (e: unknown) => e instanceof CuoptimError && message.test((e as Error).message), what);
    }
    // The same tensor as input and output: refused by the addon before it writes.
    const one = tensor(new Float32Array([0.5]), [1], { device });
    const oneQ = quantizeBlockwise(one, { blockSize: 64 });
    const oneCodes = oneQ.codes;
    assert.throws(() => quantizeBlockwise(one, { blockSize: 64, out: { codes: oneCodes, absmax: one } }), (e: unknown) => e instanceof CuoptimError);
    assert.equal(one.toArray()[0], 0.5);
    const freed = tensor(new Float32Array(1000), [10, 100], { device });
    freed.free();
    assert.throws(() => dequantizeBlockwise(q, { out: freed }), (e: unknown) => e instanceof CuoptimError && e.code === "ERR_FREED");
    [codes.toArray(), absmax.toArray(), out.toArray()].forEach((now, i) => assertBitwiseEqual(now as Float32Array, before[i] as Float32Array, `tensor ${i} unchanged by the refused calls`));
    for (const t of [x, zeros, flat, flatCodes, flatQ.absmax, fresh.codes, fresh.absmax, codes, absmax, out, one, oneCodes, oneQ.absmax]) t.free();
  });

  test(`${device}: memoryStats: 8-bit Adam state is 2 + 8/blockSize bytes per param above min8bitSize`, () => {
    for (const [numel, blockSize, expected] of [
      [1 << 20, 256, 2 + 8 / 256],
      [1 << 16, 2048, 2 + 8 / 2048],
      [4000, 256, 8], // below min8bitSize: 32-bit m and v
    ] as const) {
      const p = tensor(new Float32Array(numel), [numel], { device });
      p.grad = tensor(new Float32Array(numel).fill(1e-3), [numel], { device });
      const before = memoryStats(device).current.state;
      const opt = new AdamW8bit([p], { blockSize });
      opt.step();
      const perParam = (memoryStats(device).current.state - before) / numel;
      assert.is(perParam, expected, `${numel} params, block ${blockSize}`);
      opt.free();
      p.grad.free();
      p.free();
    }
  });
}

// hidden 64: the 64x64 middle weight (4096 elements) is quantized, the rest keep 32-bit state.
function spiralLoss(device: Device, make: (p: Tensor[]) => Optimizer<object>): number {
  return trainSpiral(device, make, { hidden: 64, steps: 200, seed: 7 }).finalLoss;
}

heavyTest("training: AdamW8bit ends within 5% of 32-bit AdamW's loss (3-layer MLP, 3-class spiral)", () => {
  const device = testDevices()[0]!;
  const opts = { lr: 3e-3, weightDecay: 1e-2 };
  const full = spiralLoss(device, (p) => new AdamW(p, opts));
  const eight = spiralLoss(device, (p) => new AdamW8bit(p, opts));
  const gap = (eight - full) / full;
  if (process.env.CUOPTIM_TEST_VERBOSE) console.log(`    spiral loss after 200 steps (from 1.15): AdamW ${full.toFixed(4)}, AdamW8bit ${eight.toFixed(4)} (${(gap * 100).toFixed(2)}%)`);
  assert.ok(full < 0.1, `AdamW trains (loss ${full})`);
  // Ends no more than 5% above the 32-bit loss (lower is fine: quantization noise may help).
  assert.ok(gap < 0.05 && gap > -0.5, `8-bit ${eight} vs 32-bit ${full}: ${(gap * 100).toFixed(2)}%`);
});

heavyTest("Lion8bit trains the spiral too", () => {
  const loss = spiralLoss("cpu", (p) => new Lion8bit(p, { lr: 1e-3 }));
  assert.ok(loss < 0.3, `loss ${loss} (from 1.15)`);
});

test("bad input: block sizes, state dicts with codes or absmax of the wrong size, foreign maps", () => {
  const p = tensor(new Float32Array(8192), [8192], { device: "cpu" });
  for (const blockSize of [0, 32, 100, 8192, 256.5]) {
    assert.throws(() => new Adam8bit([p], { blockSize }), (e: unknown) => e instanceof CuoptimError && /blockSize/.test((e as Error).message));
  }
  p.grad = tensor(new Float32Array(8192).fill(0.1), [8192], { device: "cpu" });
  const opt = new Adam8bit([p]);
  opt.step();
  const good = opt.stateDict();
  assert.instance(good.state[0]!.state1, Uint8Array);
  assert.instance(good.state[0]!.qmap1, Float32Array);
  const bad = (f: (e: Record<string, unknown>) => void) => {
    const d = structuredClone(good);
    f(d.state[0] as Record<string, unknown>);
    return d;
  };
  for (const [what, dict] of [
    ["codes of the wrong size", bad((e) => (e.state1 = new Uint8Array(100)))],
    ["codes of the wrong dtype", bad((e) => (e.state2 = new Float32Array(8192)))],
    ["absmax of the wrong size", bad((e) => (e.absmax1 = new Float32Array(31)))],
    ["a foreign map", bad((e) => ((e.qmap1 as Float32Array)[3] = 0.5))],
  ] as const) {
    const before = p.toArray();
    assert.throws(() => opt.loadStateDict(dict), (e: unknown) => e instanceof CuoptimError && e.code === "ERR_STATE_DICT", what);
    assertBitwiseEqual(p.toArray(), before, `${what}: param unchanged`);
  }
  opt.loadStateDict(good);
});

for (const from of testDevices()) {
  for (const to of testDevices()) {
    test(`AdamW8bit state dict saved on ${from} resumes on ${to} bit for bit`, () => {
      const run = (device: Device, steps: number, dict?: ReturnType<Optimizer<object>["stateDict"]>, init?: Float32Array) => {
        const p = tensor(init ?? Float32Array.from({ length: 5000 }, (_, i) => Math.cos(i)), [5000], { device });
        const opt = new AdamW8bit([p], { lr: 1e-2 });
        if (dict) opt.loadStateDict(dict as never);
        const start = dict ? (dict.state[0]!.step as number) : 0;
        for (let s = start + 1; s <= start + steps; s++) {
          p.grad = tensor(Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i * s) * 0.1), [5000], { device });
          opt.step();
        }
        return { p, opt };
      };
      const straight = run(from, 20);
      const first = run(from, 10);
      const resumed = run(to, 10, first.opt.stateDict(), first.p.toArray());
      assertBitwiseEqual(resumed.p.toArray(), straight.p.toArray(), "params");
      assert.equal(resumed.opt.stateDict().state[0]!.state1, straight.opt.stateDict().state[0]!.state1);
    });
  }
}

test.run();
