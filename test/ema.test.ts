// test/ema.test.ts — EMA of weights on every backend: the fused update against the definition
// written out in float32 here (torch's lerp: s + w(p - s) for w < 0.5, else p - (p - s)(1 - w)),
// warmup, copyTo / swap for evaluation, state dicts, bad input.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CuoptimError, EMA, tensor } from "../src-ts/index.js";
import { assertBitwiseEqual } from "./helpers/compare.js";
import { testDevices } from "./helpers/devices.js";
import { gradAt, initParam } from "./helpers/synth.js";

const f = Math.fround;
function lerp(s: Float32Array, p: Float32Array, w: number): void {
  const wf = f(w);
  for (let i = 0; i < s.length; i++) {
    s[i] = Math.abs(wf) < 0.5 ? f(s[i]! + f(wf * f(p[i]! - s[i]!))) : f(p[i]! - f(f(p[i]! - s[i]!) * f(1 - wf)));
  }
}

for (const device of testDevices()) {
  for (const warmup of [false, true]) {
    test(`${device}: EMA (warmup ${warmup}) follows its definition bit for bit`, () => {
      const sizes = [1, 37, 70000];
      const params = sizes.map((n, i) => tensor(initParam(2, i, n), [n], { device }));
      const ema = new EMA(params, { decay: 0.9, warmup });
      const expected = params.map((p) => p.toArray());
      for (let t = 0; t < 12; t++) {
        params.forEach((p, i) => p.set(gradAt(2, i, t + 1, p.numel, 1)));
        const decay = warmup ? Math.min(0.9, (1 + t) / (10 + t)) : 0.9;
        assert.is(ema.currentDecay(), decay);
        ema.update();
        expected.forEach((e, i) => lerp(e, params[i]!.toArray(), 1 - decay));
      }
      ema.shadow.forEach((s, i) => assertBitwiseEqual(s.toArray(), expected[i]!, `shadow ${i}`));
      ema.free();
    });
  }

  test(`${device}: swap() exchanges weights and averages, twice restores; copyTo writes the averages`, () => {
    const p = tensor(new Float32Array([1, 2, 3]), [3], { device });
    const ema = new EMA([p], { decay: 0.5 });
    p.set(new Float32Array([3, 4, 5]));
    ema.update(); // shadow = [2, 3, 4]
    ema.swap();
    assert.equal([...p.toArray()], [2, 3, 4]);
    assert.equal([...ema.shadow[0]!.toArray()], [3, 4, 5]);
    ema.swap();
    assert.equal([...p.toArray()], [3, 4, 5]);
    ema.copyTo();
    assert.equal([...p.toArray()], [2, 3, 4]);
  });
}

test("EMA state dicts resume; bad input is refused", () => {
  const p = tensor(new Float32Array([1, 2]), [2], { device: "cpu" });
  const a = new EMA([p], { decay: 0.8, warmup: true });
  a.update();
  const saved = a.stateDict();
  const b = new EMA([p], { decay: 0.8, warmup: true });
  b.loadStateDict(saved);
  assert.is(b.updates, 1);
  assert.is(b.currentDecay(), a.currentDecay());
  assert.throws(() => b.loadStateDict({ ...saved, shadow: [new Float32Array(3)] }), (e: unknown) => e instanceof CuoptimError && e.code === "ERR_STATE_DICT");
  assert.throws(() => new EMA([p], { decay: 1.5 }), (e: unknown) => e instanceof CuoptimError && /decay/.test((e as Error).message));
  assert.throws(() => new EMA([]), (e: unknown) => e instanceof CuoptimError);
});

test.run();
