// test/capturable.test.ts — capturable Adam / AdamW (step counts and step scalars in a device
// record, computed by the device: kernels/cuda/capturable.cu) give the bits of the host-scalar
// mode, and captureStep() replays whole steps (a CUDA graph on cuda; the step itself elsewhere).
//
// The reference is the same optimizer without `capturable`, stepped alongside under the same
// lr schedule (a cosine schedule: the lr changes every step, so the device record's lr must follow
// it). Both modes compute the scalars in double and round them once; on cpu and cuda-sim the host
// and the "device" share the C library's pow, so the bits must be equal. On cuda (when one is
// present) the device's pow may differ in the last bit of a double, which can flip a float32
// scalar only near a rounding boundary: the cuda case is held to the same bits and would report
// such a case.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Adam, AdamW, CuoptimError, lr, memoryStats, SGD, tensor, type Tensor } from "../src-ts/index.js";
import { native, type DeviceName } from "../src-ts/native.js";
import { testDevices } from "./helpers/devices.js";

const SIZES = [5, 64, 1, 300, 33];
const values = (n: number, k: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.41 + k) * 0.5);
const bits = (t: Tensor): string => Buffer.from(t.toBits().buffer).toString("hex");

function makeParams(device: DeviceName, dtype: "float32" | "bfloat16"): Tensor[] {
  return SIZES.map((n, i) => {
    const p = tensor(values(n, i), [n], { device, dtype }) as Tensor;
    p.grad = tensor(values(n, 20 + i), [n], { device, dtype }) as Tensor;
    return p;
  });
}

function setGrads(params: Tensor[], s: number): void {
  params.forEach((p, i) => p.grad!.set(values(p.numel, 100 + 7 * s + i)));
}

/** Counts calls of the named addon functions while fn runs. */
function counting<T>(names: string[], fn: () => T): Record<string, number> {
  const b = native as unknown as Record<string, (...a: unknown[]) => unknown>;
  const saved = names.map((n) => b[n]!);
  const counts: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  names.forEach((n, i) => (b[n] = (...a: unknown[]) => (counts[n]!++, saved[i]!(...a))));
  try {
    fn();
  } finally {
    names.forEach((n, i) => (b[n] = saved[i]!));
  }
  return counts;
}

type Maker = (ps: Tensor[], extra: { capturable?: boolean }) => AdamW;
const makers: { name: string; dtype: "float32" | "bfloat16"; make: Maker }[] = [
  { name: "AdamW, 2 groups", dtype: "float32", make: (ps, x) => new AdamW([{ params: ps.slice(0, 2) }, { params: ps.slice(2), lr: 3e-3, weightDecay: 0.1 }], { lr: 1e-2, ...x }) },
  { name: "Adam, L2 decay, amsgrad", dtype: "float32", make: (ps, x) => new Adam(ps, { lr: 1e-2, weightDecay: 0.05, amsgrad: true, ...x }) as unknown as AdamW },
  { name: "AdamW, bf16 with master weights", dtype: "bfloat16", make: (ps, x) => new AdamW(ps, { lr: 1e-2, masterWeights: true, ...x }) },
];

function sameBits(a: AdamW, pa: Tensor[], b: AdamW, pb: Tensor[], what: string): void {
  pa.forEach((p, i) => assert.is(bits(p), bits(pb[i]!), `${what}: params[${i}]`));
  pa.forEach((p, i) => {
    const sa = a.state.get(p)!;
    const sb = b.state.get(pb[i]!)!;
    assert.is(sa.step, sb.step, `${what}: state[${i}].step`);
    for (const k of Object.keys(sb.tensors)) assert.is(bits(sa.tensors[k] as Tensor), bits(sb.tensors[k] as Tensor), `${what}: state[${i}].${k}`);
  });
}

for (const device of testDevices()) {
  for (const { name, dtype, make } of makers) {
    test(`${device}: ${name}: capturable steps give the host-scalar steps' bits under a changing lr`, () => {
      const pc = makeParams(device, dtype);
      const ph = makeParams(device, dtype);
      const c = make(pc, { capturable: true });
      const h = make(ph, {});
      const sc = new lr.CosineAnnealingLR(c, { tMax: 10 });
      const sh = new lr.CosineAnnealingLR(h, { tMax: 10 });
      let headers = 0;
      for (let s = 0; s < 6; s++) {
        setGrads(pc, s);
        setGrads(ph, s);
        headers += counting(["capturableHeader"], () => c.step({ gradScale: 0.5 })).capturableHeader!;
        h.step({ gradScale: 0.5 });
        sc.step();
        sh.step();
      }
      // Step 1 plans, step 2 prepares the device record, every step from then on uses it.
      assert.ok(headers >= 5, `the capturable record was used (${headers} header writes)`);
      sameBits(c, pc, h, ph, name);
    });
  }

  test(`${device}: capturable steps over more tensors than one launch's metadata holds read each tensor's own scalars`, () => {
    // 500 tensors (one of two chunks), more than one launch's metadata holds for AdamW (386):
    // the kernels split them over several launches, and each slot must find its tensor's row of
    // the device table.
    const sizes = Array.from({ length: 500 }, (_, i) => (i === 317 ? 70_000 : 1 + ((i * 37) % 150)));
    const make = (): Tensor[] => sizes.map((n, i) => {
      const p = tensor(values(n, i), [n], { device }) as Tensor;
      p.grad = tensor(values(n, 50 + i), [n], { device }) as Tensor;
      return p;
    });
    const pc = make();
    const ph = make();
    // Params join at different steps, so the tensors' step counts (and scalars) differ.
    const c = new AdamW(pc.slice(0, 250), { lr: 1e-2, capturable: true });
    const h = new AdamW(ph.slice(0, 250), { lr: 1e-2 });
    for (let s = 0; s < 6; s++) {
      if (s === 2) {
        c.addParamGroup({ params: pc.slice(250), lr: 1e-2 });
        h.addParamGroup({ params: ph.slice(250), lr: 1e-2 });
      }
      c.step();
      h.step();
    }
    sameBits(c, pc, h, ph, "500 tensors");
  });

  test(`${device}: captureStep() replays whole steps, following the lr, with the bits of step()`, () => {
    const pc = makeParams(device, "float32");
    const ph = makeParams(device, "float32");
    const c = new AdamW([{ params: pc.slice(0, 3) }, { params: pc.slice(3), lr: 2e-3 }], { lr: 1e-2, capturable: true });
    const h = new AdamW([{ params: ph.slice(0, 3) }, { params: ph.slice(3), lr: 2e-3 }], { lr: 1e-2 });
    const sc = new lr.CosineAnnealingLR(c, { tMax: 8 });
    const sh = new lr.CosineAnnealingLR(h, { tMax: 8 });
    const both = (s: number, stepC: () => void): void => {
      setGrads(pc, s);
      setGrads(ph, s);
      stepC();
      h.step({ gradScale: 2 });
      sc.step();
      sh.step();
    };
    both(0, () => c.step({ gradScale: 2 }));
    both(1, () => c.step({ gradScale: 2 }));
    const graph = c.captureStep({ gradScale: 2 });
    sameBits(c, pc, h, ph, "capturing runs nothing");
    for (let s = 2; s < 6; s++) {
      let calls: Record<string, number> = {};
      both(s, () => (calls = counting(["replayGraph", "preparedStep"], () => assert.equal(graph.replay(), { applied: true, gradNorm: null, updated: 5 }))));
      if (device === "cuda") assert.equal(calls, { replayGraph: 1, preparedStep: 0 }, "cuda replays the graph");
      else assert.equal(calls, { replayGraph: 0, preparedStep: 2 }, `${device} runs the step itself`);
    }
    sameBits(c, pc, h, ph, "after 4 replays");
    // Ordinary steps after replays continue from the device's counts.
    both(6, () => c.step({ gradScale: 2 }));
    sameBits(c, pc, h, ph, "a step after the replays");
    graph.free();
    assert.throws(() => graph.replay(), (e: CuoptimError) => e.code === "ERR_FREED");
  });

  test(`${device}: a capturable step that fails changes nothing, and the next ones still match`, () => {
    const pc = makeParams(device, "float32");
    const ph = makeParams(device, "float32");
    const c = new AdamW(pc, { lr: 1e-2, capturable: true });
    const h = new AdamW(ph, { lr: 1e-2 });
    for (let s = 0; s < 3; s++) {
      setGrads(pc, s);
      setGrads(ph, s);
      c.step();
      h.step();
    }
    const b = native as unknown as Record<string, (...a: unknown[]) => unknown>;
    const saved = b.preparedStep!;
    b.preparedStep = () => {
      throw new CuoptimError("ERR_KERNEL", "injected launch failure");
    };
    const before = pc.map(bits);
    try {
      assert.throws(() => c.step(), (e: CuoptimError) => e.code === "ERR_KERNEL");
    } finally {
      b.preparedStep = saved;
    }
    assert.equal(pc.map(bits), before, "no param changed");
    for (let s = 3; s < 6; s++) {
      setGrads(pc, s);
      setGrads(ph, s);
      c.step();
      h.step();
    }
    sameBits(c, pc, h, ph, "after the failed step");
  });

  test(`${device}: the device records count as state (24 B per param) and free() releases them at once`, () => {
    const ps = makeParams(device, "float32");
    const start = memoryStats(device).current.state;
    const o = new AdamW(ps, { lr: 1e-2, capturable: true });
    o.step();
    const moments = memoryStats(device).current.state - start;
    o.step();
    assert.is(memoryStats(device).current.state - start - moments, 32 + 24 * ps.length, "one record: a 32-byte header and 24 bytes per param");
    o.free();
    assert.is(memoryStats(device).current.state, start);
  });

  test(`${device}: captureStep and replay refuse what they cannot do, with nothing changed`, () => {
    const ps = makeParams(device, "float32");
    const o = new AdamW(ps, { lr: 1e-2, capturable: true });
    const code = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        return (e as CuoptimError).code;
      }
      return "no error";
    };
    assert.is(code(() => o.captureStep()), "ERR_INVALID_ARGUMENT", "before any step");
    o.step();
    assert.is(code(() => o.captureStep()), "ERR_INVALID_ARGUMENT", "after one step");
    o.step();
    assert.is(code(() => o.captureStep({ maxGradNorm: 1 })), "ERR_NOT_IMPLEMENTED");
    assert.is(code(() => o.captureStep({ skipNonFinite: true })), "ERR_NOT_IMPLEMENTED");
    const graph = o.captureStep();
    const before = ps.map(bits);
    ps[2]!.grad = tensor(values(SIZES[2]!, 9), [SIZES[2]!], { device });
    assert.is(code(() => graph.replay()), "ERR_INVALID_ARGUMENT", "a replaced grad");
    assert.equal(ps.map(bits), before);
    assert.equal(ps.map((p) => o.state.get(p)!.step), ps.map(() => 2));
    o.paramGroups[0]!.betas = [0.8, 0.99];
    assert.is(code(() => graph.replay()), "ERR_INVALID_ARGUMENT", "betas changed");
    const plain = new AdamW(makeParams(device, "float32"), { lr: 1e-2 });
    plain.step();
    plain.step();
    assert.is(code(() => plain.captureStep()), "ERR_INVALID_ARGUMENT", "not capturable");
  });
}

test("capturable is for Adam and AdamW, and not with stochastic rounding", () => {
  const p = tensor(values(4, 1), [4]);
  assert.throws(() => new SGD([p], { lr: 0.1, capturable: true }), (e: CuoptimError) => e.code === "ERR_INVALID_ARGUMENT" && /Adam and AdamW/.test(e.message));
  const h = tensor(values(4, 1), [4], { dtype: "bfloat16" });
  assert.throws(() => new AdamW([h], { capturable: true, stochasticRounding: true }), (e: CuoptimError) => e.code === "ERR_INVALID_ARGUMENT" && /stochasticRounding/.test(e.message));
  assert.throws(() => new AdamW([p], { capturable: 1 as unknown as boolean }), (e: CuoptimError) => e.code === "ERR_INVALID_ARGUMENT" && /options\.capturable/.test(e.message));
});

test("the graph calls refuse other backends' tensors and foreign handles", () => {
  assert.throws(() => native.beginCapture("cpu"), (e: CuoptimError) => e.code === "ERR_NOT_IMPLEMENTED" && /captured on cuda/.test(e.message));
  assert.throws(() => native.replayGraph({} as never), (e: CuoptimError) => e.code === "ERR_INVALID_ARGUMENT");
});

test.run();
