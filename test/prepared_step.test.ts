// test/prepared_step.test.ts — a step reuses the last step's plan and prepared native lists
// (src-ts/optim/prepared.ts, run.ts; src-native/ops.cc prepareStep / preparedStep) only while
// nothing they were built from has changed, and gives the bits of a step planned afresh.
//
// The reference for each optimizer is the same optimizer on copies of the same tensors, whose
// grads are replaced by new tensors (same values) before every step: a replaced grad makes
// every step plan afresh and pass its lists to optimizerStep. Each case also counts the native
// calls, so a kept plan that silently stopped being used fails here.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AdamW, ASGD, CuoptimError, LAMB, LARS, NAdam, SGD, tensor, type Tensor } from "../src-ts/index.js";
import { native, type DeviceName } from "../src-ts/native.js";
import { testDevices } from "./helpers/devices.js";

type Step = { step: (o?: object) => { applied: boolean }; state: Map<Tensor, { step: number; tensors: Record<string, Tensor> }>; paramGroups: { params: Tensor[]; lr: number }[] };

const values = (n: number, k: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + k) * 0.5);
const bits = (t: Tensor): string => Buffer.from(t.toBits().buffer).toString("hex");
const SIZES = [3, 64, 17, 130, 1, 40];

function makeParams(device: DeviceName, dtype: "float32" | "bfloat16" = "float32"): Tensor[] {
  return SIZES.map((n, i) => {
    const p = tensor(values(n, i), [n], { device, dtype }) as Tensor;
    p.grad = tensor(values(n, i + 10), [n], { device, dtype }) as Tensor;
    return p;
  });
}

/** Counts the addon's step calls while fn runs. */
function countCalls<T>(fn: () => T): { result: T; planned: number; prepared: number } {
  const b = native as unknown as Record<string, (...a: unknown[]) => unknown>;
  const plain = b.optimizerStep!;
  const kept = b.preparedStep!;
  let planned = 0;
  let prepared = 0;
  b.optimizerStep = (...a) => (planned++, plain(...a));
  b.preparedStep = (...a) => (prepared++, kept(...a));
  try {
    return { result: fn(), planned, prepared };
  } finally {
    b.optimizerStep = plain;
    b.preparedStep = kept;
  }
}

/** Gradients for step s: values that change each step, written into the same grad tensors. */
function setGrads(params: Tensor[], s: number, fresh: boolean): void {
  params.forEach((p, i) => {
    const v = values(p.numel, 100 + s * 7 + i);
    if (fresh) p.grad = tensor(v, [p.numel], { device: p.device, dtype: p.dtype as "float32" }) as Tensor;
    else p.grad!.set(v);
  });
}

const makers: { name: string; dtype?: "bfloat16"; make: (ps: Tensor[]) => Step; calls: number }[] = [
  { name: "AdamW (2 groups, one batch each)", calls: 2, make: (ps) => new AdamW([{ params: ps.slice(0, 3) }, { params: ps.slice(3), lr: 0.05 }], { lr: 1e-2 }) as unknown as Step },
  { name: "SGD momentum nesterov", calls: 1, make: (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true }) as unknown as Step },
  { name: "NAdam (a host scalar per param)", calls: 1, make: (ps) => new NAdam(ps, { lr: 1e-2 }) as unknown as Step },
  { name: "ASGD (a host scalar per param)", calls: 1, make: (ps) => new ASGD(ps, { lr: 1e-2 }) as unknown as Step },
  { name: "LARS (host values each step)", calls: 1, make: (ps) => new LARS(ps, { lr: 1e-2 }) as unknown as Step },
  { name: "LAMB (a per-step temporary: planned afresh every step)", calls: 0, make: (ps) => new LAMB(ps, { lr: 1e-2 }) as unknown as Step },
  { name: "AdamW bf16 with master weights", dtype: "bfloat16", calls: 1, make: (ps) => new AdamW(ps, { lr: 1e-2, masterWeights: true }) as unknown as Step },
  { name: "AdamW bf16 stochastic rounding", dtype: "bfloat16", calls: 1, make: (ps) => new AdamW(ps, { lr: 1e-2, stochasticRounding: true, seed: 7 }) as unknown as Step },
];

for (const device of testDevices()) {
  for (const { name, dtype, make, calls } of makers) {
    test(`${device}: ${name}: kept steps give the bits of steps planned afresh, through prepared lists`, () => {
      const kept = makeParams(device, dtype);
      const fresh = makeParams(device, dtype);
      const a = make(kept);
      const b = make(fresh);
      const steps = 5;
      let preparedCalls = 0;
      for (let s = 0; s < steps; s++) {
        setGrads(kept, s, false);
        setGrads(fresh, s, true);
        preparedCalls += countCalls(() => a.step({ maxGradNorm: 1 })).prepared;
        const planned = countCalls(() => b.step({ maxGradNorm: 1 }));
        assert.is(planned.prepared, 0, "a replaced grad plans the step afresh");
      }
      // Step 1 plans; step 2 keeps that plan and prepares its lists; every later step runs on them.
      assert.is(preparedCalls, (steps - 1) * calls);
      kept.forEach((p, i) => assert.is(bits(p), bits(fresh[i]!), `params[${i}]`));
      for (const [i, p] of kept.entries()) {
        const sa = a.state.get(p)!;
        const sb = b.state.get(fresh[i]!)!;
        assert.is(sa.step, sb.step);
        for (const k of Object.keys(sb.tensors)) assert.is(bits(sa.tensors[k]!), bits(sb.tensors[k]!), `state[${i}].${k}`);
      }
    });
  }

  test(`${device}: a kept plan follows what changes between steps: lr, a new grad, a grad set to null, a param added`, () => {
    const kept = makeParams(device);
    const fresh = makeParams(device);
    const a = new AdamW(kept.slice(0, 5), { lr: 1e-2 });
    const b = new AdamW(fresh.slice(0, 5), { lr: 1e-2 });
    const both = (fn: (o: AdamW, ps: Tensor[]) => void): void => {
      fn(a, kept);
      fn(b, fresh);
    };
    for (let s = 0; s < 3; s++) both((o) => o.step());
    both((o) => (o.paramGroups[0]!.lr = 0.2));
    both((o) => o.step());
    // A new grad tensor (other values): a must read it, not the one its lists were prepared with.
    both((_, ps) => (ps[1]!.grad = tensor(values(64, 55), [64], { device })));
    both((o) => o.step());
    both((_, ps) => (ps[2]!.grad = null));
    both((o) => o.step());
    both((o, ps) => o.paramGroups[0]!.params.push(ps[5]!));
    both((o) => o.step());
    both((o) => o.step());
    kept.forEach((p, i) => assert.is(bits(p), bits(fresh[i]!), `params[${i}]`));
    assert.is(a.state.get(kept[2]!)!.step, 5, "the param whose grad went away was not stepped");
    assert.is(a.state.get(kept[5]!)!.step, 2);
  });

  test(`${device}: a scheduler's lr change keeps the plan; groups batched together that stop sharing an lr plan afresh`, () => {
    const kept = makeParams(device);
    const fresh = makeParams(device);
    // Two groups with equal options: one batch.
    const make = (ps: Tensor[]) => new AdamW([{ params: ps.slice(0, 3) }, { params: ps.slice(3) }], { lr: 1e-2 });
    const a = make(kept);
    const b = make(fresh);
    for (let s = 0; s < 3; s++) {
      setGrads(kept, s, false);
      setGrads(fresh, s, true);
      a.step();
      b.step();
    }
    for (const o of [a, b]) for (const g of o.paramGroups) g.lr = 5e-3;
    setGrads(kept, 3, false);
    setGrads(fresh, 3, true);
    assert.is(countCalls(() => a.step()).prepared, 1, "both groups' lr changed alike: the kept batch runs with the new lr");
    b.step();
    for (const o of [a, b]) o.paramGroups[1]!.lr = 2e-2;
    setGrads(kept, 4, false);
    setGrads(fresh, 4, true);
    const split = countCalls(() => a.step());
    assert.equal([split.planned, split.prepared], [2, 0], "the batch splits in two: planned afresh");
    b.step();
    kept.forEach((p, i) => assert.is(bits(p), bits(fresh[i]!), `params[${i}]`));
  });

  test(`${device}: a kept step refuses a freed param, grad or state tensor, and an invalid option, with nothing changed`, () => {
    const cases: [string, (ps: Tensor[], o: AdamW) => void, string, RegExp][] = [
      ["param", (ps) => ps[1]!.free(), "ERR_FREED", /^paramGroups\[0\]\.params\[1\]: /],
      ["grad", (ps) => ps[3]!.grad!.free(), "ERR_FREED", /^paramGroups\[0\]\.params\[3\]\.grad: /],
      ["state", (ps, o) => o.state.get(ps[4]!)!.tensors.expAvgSq!.free(), "ERR_FREED", /^paramGroups\[0\]\.params\[4\] \(state expAvgSq\): /],
      ["lr", (_, o) => (o.paramGroups[0]!.lr = -1), "ERR_RANGE", /^paramGroups\[0\]\.lr: /],
    ];
    for (const [what, spoil, code, message] of cases) {
      const ps = makeParams(device);
      const o = new AdamW(ps, { lr: 1e-2 });
      for (let s = 0; s < 3; s++) o.step();
      spoil(ps, o);
      const before = ps.map((p) => (p.freed ? "freed" : bits(p)));
      const steps = ps.map((p) => o.state.get(p)!.step);
      const e = (() => {
        try {
          o.step();
        } catch (err) {
          return err as CuoptimError;
        }
        return null;
      })();
      assert.ok(e instanceof CuoptimError, `${what}: the step threw`);
      assert.is(e.code, code, what);
      assert.match(e.message, message, what);
      assert.equal(ps.map((p) => (p.freed ? "freed" : bits(p))), before, `${what}: no param changed`);
      assert.equal(ps.map((p) => o.state.get(p)!.step), steps, `${what}: no step count changed`);
    }
  });

  test(`${device}: loadStateDict between kept steps: the next step uses the loaded state`, () => {
    const kept = makeParams(device);
    const fresh = makeParams(device);
    const a = new AdamW(kept, { lr: 1e-2 });
    const b = new AdamW(fresh, { lr: 1e-2 });
    for (let s = 0; s < 3; s++) a.step();
    b.step();
    a.loadStateDict(b.stateDict());
    kept.forEach((p, i) => p.set(fresh[i]!.toArray()));
    a.step();
    a.step();
    b.step();
    b.step();
    kept.forEach((p, i) => assert.is(bits(p), bits(fresh[i]!), `params[${i}]`));
  });
}

test("preparedStep refuses what is not a handle, or a handle of another op", () => {
  const ps = makeParams("cpu");
  const lists = [ps.map((p) => p.native), ps.map((p) => p.grad!.native)];
  const sgd = { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, gradScale: 1 };
  const handle = native.prepareStep("sgd", [lists[0]!, lists[1]!, null], sgd);
  const steps = new Float64Array(ps.length).fill(1);
  const fresh = new Uint8Array(ps.length);
  const adam = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, decoupled: false, gradScale: 1 };
  assert.throws(() => native.preparedStep("sgd", {} as never, steps, fresh, sgd), (e: CuoptimError) => e.code === "ERR_INVALID_ARGUMENT" && /prepared: expected a handle/.test(e.message));
  assert.throws(() => native.preparedStep("adam", handle, steps, fresh, adam), (e: CuoptimError) => e.code === "ERR_INVALID_ARGUMENT" && /prepared for sgd/.test(e.message));
});

test("prepareStep holds only the tensors it checked: a list whose element changes between reads is refused", () => {
  const ps = makeParams("cpu");
  const others = makeParams("cpu");
  const sgd = { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, gradScale: 1 };
  const params = ps.map((p) => p.native);
  let reads = 0;
  Object.defineProperty(params, 1, { get: () => (reads++ === 0 ? ps[1]!.native : others[1]!.native) });
  assert.throws(
    () => native.prepareStep("sgd", [params, ps.map((p) => p.grad!.native), null], sgd),
    (e: CuoptimError) => e.code === "ERR_INVALID_ARGUMENT" && /^params\[1\]: changed while the lists were read/.test(e.message),
  );
});

test.run();
