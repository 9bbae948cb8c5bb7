// test/lookahead.test.ts — Lookahead as a drop-in wrapper: schedulers and GradScaler drive it,
// skipped steps do not count toward k, params added to the inner optimizer later get slow
// weights, and its slow weights are accounted as optimizer state. (Its numbers are checked
// against the reference in reference.parity.test.ts.)
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AdamW, GradScaler, Lookahead, lr, memoryStats, SGD, tensor } from "../src-ts/index.js";
import { assertBitwiseEqual } from "./helpers/compare.js";

const cpu = { device: "cpu" } as const;
const param = (values: number[]) => {
  const p = tensor(new Float32Array(values), [values.length], cpu);
  p.grad = tensor(new Float32Array(values.map((v) => 0.1 * v)), [values.length], cpu);
  return p;
};

test("a scheduler built on the wrapper sets the inner optimizer's lr", () => {
  const inner = new AdamW([param([1, 2])], { lr: 1e-2 });
  const la = new Lookahead(inner);
  const schedule = lr.warmupCosine(la, { warmupSteps: 4, totalSteps: 10 });
  assert.is(inner.paramGroups[0]!.lr, 0);
  la.step();
  schedule.step();
  assert.is(inner.paramGroups[0]!.lr, 1e-2 / 4);
  assert.is(la.paramGroups, inner.paramGroups);
});

test("steps skipped for a non-finite gradient do not count toward k", () => {
  const p = param([1, 2, 3]);
  const la = new Lookahead(new SGD([p], { lr: 0.1 }), { k: 2 });
  la.step();
  assert.is(la.stepsSinceSync, 1);
  const good = p.grad!.toArray();
  p.grad!.set(new Float32Array([NaN, 0, 0]));
  assert.is(la.step({ skipNonFinite: true }).applied, false);
  assert.is(la.stepsSinceSync, 1);
  p.grad!.set(good);
  la.step();
  assert.is(la.stepsSinceSync, 0);
  assertBitwiseEqual(la.slowWeights(p)!.toArray(), p.toArray(), "after a sync the fast weights are the slow ones");
});

test("GradScaler steps through the wrapper", () => {
  const p = param([1, 2]);
  const twin = param([1, 2]);
  const scaler = new GradScaler({ initScale: 4 });
  p.grad!.set(new Float32Array([0.4, 0.8]));
  twin.grad!.set(new Float32Array([0.1, 0.2]));
  const la = new Lookahead(new SGD([p], { lr: 0.1 }), { k: 1, alpha: 0.5 });
  const plain = new Lookahead(new SGD([twin], { lr: 0.1 }), { k: 1, alpha: 0.5 });
  scaler.step(la);
  plain.step();
  assertBitwiseEqual(p.toArray(), twin.toArray(), "unscaled step");
});

test("a param group added to the inner optimizer gets slow weights from its current values", () => {
  const a = param([1, 2]);
  const b = param([5, 6, 7]);
  const inner = new SGD([a], { lr: 0.1 });
  const la = new Lookahead(inner, { k: 1, alpha: 0 });
  inner.addParamGroup({ params: [b] });
  la.step();
  // alpha 0: every sync puts the params back to their slow weights, here their values when adopted
  assert.equal([...b.toArray()], [5, 6, 7]);
  assert.equal([...a.toArray()], [1, 2]);
});

test("slow weights are optimizer state in memoryStats and free() releases them", () => {
  const p = param(Array.from({ length: 1000 }, (_, i) => i));
  const before = memoryStats("cpu").current.state;
  const la = new Lookahead(new SGD([p], { lr: 0.1 }));
  assert.is(memoryStats("cpu").current.state - before, 4000);
  la.free();
  assert.is(memoryStats("cpu").current.state, before);
});

test.run();
