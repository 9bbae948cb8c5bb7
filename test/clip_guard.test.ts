// test/clip_guard.test.ts — gradient clipping against torch 1.13 (test/fixtures/gen/torch_clip.py),
// clipping fused into the step, the non-finite guard, the loss scaler, on every backend.
//
// Tolerances: torch returns the total norm as a float32 it accumulated in float32; ours is the
// double-precision norm of the same values, so they agree to float32 rounding (1e-6 relative).
// Clipped gradients are float32 products g × coefficient, the coefficient computed from that norm
// in float32 as torch does: equal to 1e-6 relative.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AdamW, clipGradNorm, clipGradValue, CuoptimError, GradScaler, gradNorm, SGD, tensor, type Device, type Tensor } from "../src-ts/index.js";
import { assertBitwiseEqual, assertClose } from "./helpers/compare.js";
import { testDevices } from "./helpers/devices.js";
import { decodeF32, FIXTURES, readFixture } from "./helpers/fixtures.js";
import { gradAt, initParam } from "./helpers/synth.js";

interface ClipFixture {
  shapes: number[][];
  scales: number[];
  cases: { name: string; seed: number; kind: string; args: Record<string, number | string>; result: number | null; grads: string[] }[];
}
const fx = readFixture<ClipFixture>(`${FIXTURES}/torch_lr/clip.json`);
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

function withGrads(device: Device, seed: number): Tensor[] {
  return fx.shapes.map((s, i) => {
    const p = tensor(new Float32Array(numel(s)), s, { device });
    p.grad = tensor(gradAt(seed, i, 1, numel(s), fx.scales[i]!), s, { device });
    return p;
  });
}

for (const device of testDevices()) {
  for (const c of fx.cases) {
    test(`${device}: ${c.kind} (${c.name}) matches torch`, () => {
      const params = withGrads(device, c.seed);
      if (c.kind === "clip_grad_value_") {
        clipGradValue(params, c.args.clip_value as number);
      } else {
        const normType = c.args.norm_type === "inf" ? Infinity : 2;
        const norm = clipGradNorm(params, c.args.max_norm as number, { normType });
        assert.ok(Math.abs(norm - c.result!) <= 1e-6 * c.result!, `norm ${norm} vs torch ${c.result}`);
      }
      params.forEach((p, i) => assertClose(p.grad!.toArray(), decodeF32(c.grads[i]!), 1e-6, 1e-30, `grad ${i}`));
    });
  }

  test(`${device}: step({ maxGradNorm }) equals clipGradNorm then step(), bit for bit, without writing the grads`, () => {
    const run = (fused: boolean) => {
      const params = withGrads(device, 71);
      const opt = new AdamW(params, { lr: 1e-2 });
      const grads = params.map((p) => p.grad!.toArray());
      let norm: number;
      if (fused) {
        norm = opt.step({ maxGradNorm: 1.0 }).gradNorm!;
        params.forEach((p, i) => assertBitwiseEqual(p.grad!.toArray(), grads[i]!, "grads untouched"));
      } else {
        norm = clipGradNorm(params, 1.0);
        opt.step();
      }
      return { norm, values: params.map((p) => p.toArray()) };
    };
    const a = run(true);
    const b = run(false);
    assert.is(a.norm, b.norm);
    a.values.forEach((v, i) => assertBitwiseEqual(v, b.values[i]!, `param ${i}`));
  });

  test(`${device}: a step with a NaN or Inf gradient changes nothing and is counted`, () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const params = [0, 1, 2].map((i) => tensor(initParam(4, i, 300), [300], { device }));
      params.forEach((p, i) => (p.grad = tensor(gradAt(4, i, 1, 300, 0.1), [300], { device })));
      const opt = new AdamW(params, { lr: 1e-2 });
      opt.step();
      const before = { params: params.map((p) => p.toArray()), state: opt.stateDict() };
      const g = gradAt(4, 2, 2, 300, 0.1);
      g[123] = bad;
      params[2]!.grad!.set(g);
      for (const options of [{ skipNonFinite: true }, { maxGradNorm: 1 }, { maxGradNorm: 1, normType: Infinity }]) {
        const r = opt.step(options);
        assert.is(r.applied, false);
        assert.ok(!Number.isFinite(r.gradNorm!));
      }
      assert.is(opt.skippedSteps, 3);
      params.forEach((p, i) => assertBitwiseEqual(p.toArray(), before.params[i]!, `param ${i}`));
      const after = opt.stateDict();
      for (const [k, s] of Object.entries(before.state.state)) {
        assert.is(after.state[Number(k)]!.step, s.step, "step count unchanged");
        assertBitwiseEqual(after.state[Number(k)]!.expAvg as Float32Array, s.expAvg as Float32Array, "expAvg unchanged");
      }
      // the next good batch steps as if the bad one never came
      params[2]!.grad!.set(gradAt(4, 2, 2, 300, 0.1));
      assert.is(opt.step({ maxGradNorm: 1 }).applied, true);
    }
  });

  test(`${device}: a NaN gradient on a fresh param creates no state`, () => {
    const p = tensor(new Float32Array(10), [10], { device });
    p.grad = tensor(new Float32Array(10).fill(NaN), [10], { device });
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    assert.is(opt.step({ skipNonFinite: true }).applied, false);
    assert.is(opt.state.size, 0);
  });

  test(`${device}: GradScaler with a power-of-two scale trains exactly like no scaling; backs off on Inf, grows after the interval`, () => {
    const run = (useScaler: boolean) => {
      const params = [0, 1].map((i) => tensor(initParam(6, i, 64), [64], { device }));
      const opt = new AdamW(params, { lr: 1e-2 });
      const scaler = new GradScaler({ initScale: 2 ** 10, growthInterval: 3 });
      const scales: number[] = [];
      for (let t = 1; t <= 8; t++) {
        params.forEach((p, i) => {
          const g = gradAt(6, i, t, 64, 0.1);
          const s = useScaler ? scaler.getScale() : 1;
          p.grad = tensor(g.map((x) => x * s), [64], { device }); // a scaled loss scales the grads
          if (useScaler && t === 4) p.grad.set(new Float32Array(64).fill(Infinity));
        });
        if (useScaler) {
          scaler.step(opt);
          scaler.update();
        } else if (t !== 4) {
          opt.step();
        }
        scales.push(scaler.getScale());
      }
      return { values: params.map((p) => p.toArray()), scales };
    };
    const scaled = run(true);
    const plain = run(false);
    scaled.values.forEach((v, i) => assertBitwiseEqual(v, plain.values[i]!, `param ${i}`));
    assert.equal(scaled.scales, [1024, 1024, 2048, 1024, 1024, 1024, 2048, 2048]);
  });
}

test("gradNorm skips params without a grad; bad arguments are refused", () => {
  const a = tensor(new Float32Array([3, 4]), [2], { device: "cpu" });
  a.grad = tensor(new Float32Array([3, 4]), [2], { device: "cpu" });
  const b = tensor(new Float32Array(2), [2], { device: "cpu" });
  assert.is(gradNorm([a, b]), 5);
  assert.is(gradNorm([a], { normType: Infinity }), 4);
  const bad: [() => unknown, string][] = [
    [() => clipGradNorm([a], NaN), "maxNorm"],
    [() => clipGradNorm([a], Infinity), "maxNorm"],
    [() => clipGradNorm([a], 1, { normType: 3 }), "normType"],
    [() => clipGradValue([a], -1), "clipValue"],
    [() => new AdamW([a]).step({ maxGradNorm: -1 }), "maxGradNorm"],
  ];
  for (const [fn, mentions] of bad) assert.throws(fn, (e: unknown) => e instanceof CuoptimError && (e as Error).message.includes(mentions), mentions);
  a.grad.set(new Float32Array([NaN, 1]));
  assert.throws(() => clipGradNorm([a], 1, { errorIfNonfinite: true }), (e: unknown) => e instanceof CuoptimError);
});

test.run();
