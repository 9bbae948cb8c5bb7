// test/hostile_inputs.test.ts — inputs that used to be taken silently or corrupt later steps:
// state dicts with NaN, Inf or negative second moments, a Map as state, a step count past 2^53,
// non-canonical index keys ("01", "1e0", "0x1") and unknown top-level keys; step() options that
// are misspelt or flip the update (negative gradScale); options beyond float32's range; edits
// of opt.defaults; stepping a freed optimizer; an EMA state dict's own decay. Each case must
// throw a CuoptimError with its code, naming the value, and change no byte of params or state.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Adafactor, AdamW, AdamW8bit, CAME, CuoptimError, EMA, load, Lookahead, lr, quantizeBlockwise, RMSprop, save, SGD, tensor, zeros, type Optimizer, type Tensor } from "../src-ts/index.js";
import { testDevices } from "./helpers/devices.js";
import { captureWarnings } from "./helpers/warnings.js";

const digest = (ts: Tensor[], opt?: Optimizer<object>): string => {
  const h = createHash("sha256");
  for (const t of ts) h.update(Buffer.from(t.toArray().buffer));
  if (opt) for (const [, s] of opt.state) for (const [k, t] of Object.entries(s.tensors)) h.update(k).update(Buffer.from(t.toArray().buffer)).update(String(s.step));
  return h.digest("hex");
};

interface Case {
  name: string;
  code: string;
  mentions: RegExp;
  act: (w: { opt: AdamW; params: Tensor[] }) => void;
}

const withState = (w: { opt: AdamW }, edit: (sd: ReturnType<AdamW["stateDict"]>) => unknown) => {
  const sd = w.opt.stateDict();
  return edit(sd) ?? sd;
};

const CASES: Case[] = [
  { name: "a NaN second moment", code: "ERR_STATE_DICT", mentions: /state\[0\]\.expAvgSq\[3\]: expected a finite, non-negative value, got NaN/, act: (w) => w.opt.loadStateDict(withState(w, (sd) => void ((sd.state[0]!.expAvgSq as Float32Array)[3] = NaN)) as never) },
  { name: "a negative second moment", code: "ERR_STATE_DICT", mentions: /expAvgSq\[0\]: expected a finite, non-negative value, got -1/, act: (w) => w.opt.loadStateDict(withState(w, (sd) => void ((sd.state[1]!.expAvgSq as Float32Array)[0] = -1)) as never) },
  { name: "an infinite first moment", code: "ERR_STATE_DICT", mentions: /state\[0\]\.expAvg\[1\]: expected a finite value, got Infinity/, act: (w) => w.opt.loadStateDict(withState(w, (sd) => void ((sd.state[0]!.expAvg as Float32Array)[1] = Infinity)) as never) },
  { name: "a Map as state", code: "ERR_STATE_DICT", mentions: /state: expected a plain object/, act: (w) => w.opt.loadStateDict(withState(w, (sd) => ({ ...sd, state: new Map(Object.entries(sd.state)) })) as never) },
  { name: "step 2^60", code: "ERR_STATE_DICT", mentions: /state\[0\]\.step: expected a whole number in \[0, 2\^53 - 1\)/, act: (w) => w.opt.loadStateDict(withState(w, (sd) => void (sd.state[0]!.step = 2 ** 60)) as never) },
  ...["01", "1e0", "0x1", " 1", "1.0"].map((key) => ({
    name: `the key ${JSON.stringify(key)}`,
    code: "ERR_STATE_DICT",
    mentions: new RegExp(`key ${JSON.stringify(JSON.stringify(key)).slice(1, -1).replace(/[.]/g, "\\.")} is not a param index`),
    act: (w: { opt: AdamW }) =>
      w.opt.loadStateDict(withState(w, (sd) => ({ ...sd, state: { 0: sd.state[0], [key]: sd.state[1] } })) as never),
  })),
  { name: "an unknown top-level key", code: "ERR_STATE_DICT", mentions: /extra: not part of a state dict/, act: (w) => w.opt.loadStateDict(withState(w, (sd) => ({ ...sd, extra: 1 })) as never) },
  { name: "a misspelt step option", code: "ERR_INVALID_ARGUMENT", mentions: /options\.maxGradnorm: unknown option/, act: (w) => w.opt.step({ maxGradnorm: 1 } as never) },
  { name: "a negative gradScale", code: "ERR_RANGE", mentions: /gradScale: expected a finite float32 number >= 0, got -1/, act: (w) => w.opt.step({ gradScale: -1 }) },
  { name: "gradScale 1e39 (beyond float32)", code: "ERR_RANGE", mentions: /gradScale/, act: (w) => w.opt.step({ gradScale: 1e39 }) },
  { name: "lr 1e39 in a group", code: "ERR_RANGE", mentions: /paramGroups\[0\]\.lr/, act: (w) => ((w.opt.paramGroups[0]!.lr = 1e39), w.opt.step()) },
  { name: "weightDecay 1e300 at construction", code: "ERR_RANGE", mentions: /options\.weightDecay/, act: (w) => new AdamW(w.params, { weightDecay: 1e300 }) },
  { name: "RMSprop alpha > 1", code: "ERR_RANGE", mentions: /options\.alpha: expected a finite float32 number in \[0, 1\]/, act: (w) => new RMSprop(w.params, { alpha: 1.5 }) },
  { name: "ExponentialLR gamma < 0", code: "ERR_RANGE", mentions: /gamma: expected a finite float32 number >= 0/, act: (w) => new lr.ExponentialLR(w.opt, { gamma: -0.5 }) },
];

for (const device of testDevices()) {
  const setup = () => {
    const params = [tensor(Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)), [3, 4], { device }), tensor(new Float32Array([0.5, -0.25]), [2], { device })];
    for (const p of params) p.grad = tensor(Float32Array.from({ length: p.numel }, (_, i) => Math.cos(i)), [...p.shape], { device });
    const opt = new AdamW(params, { lr: 1e-2 });
    opt.step();
    return { opt, params };
  };
  for (const c of CASES) {
    test(`${device}: ${c.name} -> ${c.code}, nothing changed`, () => {
      const w = setup();
      const before = digest(w.params, w.opt);
      assert.throws(
        () => c.act(w),
        (e: unknown) => e instanceof CuoptimError && e.code === c.code && c.mentions.test(e.message),
        `${c.name}: expected ${c.code} matching ${c.mentions}`,
      );
      // lr was edited in place by one case: put it back before comparing what a step changed.
      w.opt.paramGroups[0]!.lr = 1e-2;
      assert.is(digest(w.params, w.opt), before);
    });
  }

  test(`${device}: editing opt.defaults cannot reach the class defaults or other optimizers`, () => {
    const { params } = setup();
    const a = new AdamW(params);
    assert.throws(() => ((a.defaults.betas as number[])[0] = 0.5));
    assert.throws(() => ((a.defaults as { lr: number }).lr = 1));
    assert.equal(new AdamW(params).defaults.betas, [0.9, 0.999]);
  });

  test(`${device}: a freed optimizer refuses step, stateDict and loadStateDict instead of restarting from zero`, () => {
    const { opt, params } = setup();
    const sd = opt.stateDict();
    opt.free();
    const before = digest(params);
    for (const act of [() => opt.step(), () => opt.stateDict(), () => opt.loadStateDict(sd)]) {
      assert.throws(act, (e: unknown) => e instanceof CuoptimError && e.code === "ERR_FREED" && /this optimizer was freed/.test(e.message));
    }
    assert.is(digest(params), before);
  });

  test(`${device}: EMA.loadStateDict restores the saved decay and warmup, and refuses a bad one`, () => {
    const { params } = setup();
    const saved = new EMA(params, { decay: 0.5, warmup: true }).stateDict();
    const ema = new EMA(params, { decay: 0.99 });
    ema.loadStateDict(saved);
    assert.is(ema.decay, 0.5);
    assert.is(ema.warmup, true);
    assert.throws(() => ema.loadStateDict({ ...saved, decay: 2 }), (e: unknown) => e instanceof CuoptimError && e.code === "ERR_STATE_DICT" && /decay/.test(e.message));
    assert.is(ema.decay, 0.5);
  });

  test(`${device}: a LambdaLR whose lambda throws does not advance lastEpoch or change any lr`, () => {
    const { opt } = setup();
    let fail = false;
    const s = new lr.LambdaLR(opt, (e) => {
      if (fail) throw new Error("lambda failed");
      return 1 / (1 + e);
    });
    s.step();
    const before = { epoch: s.lastEpoch, lrs: s.getLastLr(), group: opt.paramGroups[0]!.lr };
    fail = true;
    assert.throws(() => s.step(), /lambda failed/);
    assert.equal({ epoch: s.lastEpoch, lrs: s.getLastLr(), group: opt.paramGroups[0]!.lr }, before);
    fail = false;
    s.step();
    assert.is(s.lastEpoch, before.epoch + 1);
  });

  test(`${device}: a native error names the user's path, not the position in the native batch`, () => {
    const a = tensor(new Float32Array(4), [4], { device });
    const b = tensor(new Float32Array(6), [6], { device });
    const c = tensor(new Float32Array(6), [6], { device });
    for (const p of [a, b, c]) p.grad = tensor(new Float32Array(p.numel), [...p.shape], { device });
    const opt = new AdamW([{ params: [a] }, { params: [b, c] }]);
    opt.step();
    // Corrupt one state tensor behind the optimizer's back: only the native check can see it.
    const s = opt.state.get(c)!;
    const wrong = zeros([5], { device });
    const kept = s.tensors.expAvg!;
    s.tensors.expAvg = wrong as never;
    assert.throws(() => opt.step(), (e: unknown) => e instanceof CuoptimError && /^paramGroups\[1\]\.params\[1\] \(state \w+\): expected shape \[6\]/.test(e.message));
    s.tensors.expAvg = kept;
    opt.step();
  });

  test(`${device}: a SharedArrayBuffer's values are taken (copied), not refused`, () => {
    const shared = new Float32Array(new SharedArrayBuffer(12));
    shared.set([1, 2, 3]);
    const t = tensor(shared, [3], { device });
    assert.equal(Array.from(t.toArray()), [1, 2, 3]);
    shared[0] = 9;
    t.set(shared);
    assert.equal(Array.from(t.toArray()), [9, 2, 3]);
  });

  test(`${device}: quantizeBlockwise refuses NaN and Infinity instead of making -Inf or NaN codes`, () => {
    for (const v of [[Infinity, Infinity], [1, Infinity], [NaN, 1]]) {
      assert.throws(() => quantizeBlockwise(tensor(new Float32Array(v), [2], { device }), { blockSize: 64 }), (e: unknown) => e instanceof CuoptimError && e.code === "ERR_RANGE" && /NaN or Infinity/.test(e.message));
    }
  });

  test(`${device}: Lookahead does not count a step in which no param has a gradient`, async () => {
    const p = tensor(new Float32Array([1, 2]), [2], { device });
    const la = new Lookahead(new SGD([p], { lr: 0.1 }), { k: 2 });
    const warnings = await captureWarnings(() => {
      la.step();
      la.step();
    });
    assert.is(la.stepsSinceSync, 0);
    assert.equal(warnings.map((w) => w.code), ["CUOPTIM_NO_GRAD"], "the inner optimizer says once that nothing had a grad");
    p.grad = tensor(new Float32Array([1, 1]), [2], { device });
    la.step();
    assert.is(la.stepsSinceSync, 1);
  });

  test(`${device}: the guard skips finite gradients whose squares would overflow float32, and says so`, () => {
    const makers: [string, (ps: Tensor[]) => Optimizer<object>][] = [
      ["AdamW", (ps) => new AdamW(ps)],
      ["AdamW8bit", (ps) => new AdamW8bit(ps, { min8bitSize: 16, blockSize: 64 })],
      ["Adafactor (transformers)", (ps) => new Adafactor(ps, { variant: "transformers", lr: 1e-3, relativeStep: false })],
      ["CAME", (ps) => new CAME(ps)],
    ];
    for (const [name, make] of makers) {
      for (const [grad, gradScale] of [[1e38, 1], [1e20, 1], [1e10, 1e30]] as const) {
        const p = tensor(Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)), [8, 8], { device });
        p.grad = tensor(new Float32Array(64).fill(grad), [8, 8], { device });
        const opt = make([p]);
        const before = digest([p], opt);
        const r = opt.step({ gradScale, skipNonFinite: true });
        assert.is(r.applied, false, `${name}, grads ${grad} x ${gradScale}: skipped`);
        assert.is(digest([p], opt), before, `${name}, grads ${grad} x ${gradScale}: nothing changed`);
        // Clipped to a sane norm, the same gradients are applied and everything stays finite.
        const c = opt.step({ gradScale, maxGradNorm: 1 });
        assert.is(c.applied, true, `${name}: clipped step applied`);
        assert.ok(p.toArray().every(Number.isFinite), `${name}: params finite after the clipped step`);
        for (const [, s] of opt.state) for (const t of Object.values(s.tensors)) if (t.dtype === "float32") assert.ok((t.toArray() as Float32Array).every(Number.isFinite), `${name}: state finite`);
      }
    }
  });

  test(`${device}: save() writes only what load() accepts: an unloadable state is refused before any file is written`, () => {
    const dir = mkdtempSync(join(tmpdir(), "cuoptim-unloadable-"));
    const mk = (n: number) => {
      const p = tensor(new Float32Array(n).fill(1), [n], { device });
      p.grad = tensor(new Float32Array(n).fill(0.1), [n], { device });
      return p;
    };
    // A group added after the scheduler was made: the scheduler's state no longer fits.
    const [a, b] = [mk(4), mk(4)];
    const opt = new AdamW([a]);
    const sched = new lr.StepLR(opt, { stepSize: 1 });
    opt.step();
    sched.step();
    opt.addParamGroup({ params: [b] });
    const path = join(dir, "late-group.safetensors");
    assert.throws(() => save(path, { params: { a, b }, optimizer: opt, scheduler: sched }), (e: unknown) => e instanceof CuoptimError && e.code === "ERR_STATE_DICT" && /scheduler's state would not load back, so nothing was written/.test(e.message));
    assert.not.ok(existsSync(path));
    // A stepped param removed from its group: its orphaned state is left out, and the file loads.
    const [c, d] = [mk(4), mk(4)];
    const opt2 = new AdamW([c, d]);
    opt2.step();
    opt2.paramGroups[0]!.params.pop();
    const path2 = join(dir, "orphan.safetensors");
    save(path2, { params: { c }, optimizer: opt2 });
    load(path2, { params: { c }, optimizer: opt2 });
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${device}: SGD's state dict of a param with momentum takes the same rules`, () => {
    const { params } = setup();
    const sgd = new SGD(params, { lr: 0.1, momentum: 0.9 });
    sgd.step();
    const sd = sgd.stateDict();
    (sd.state[0]!.momentumBuffer as Float32Array)[0] = -Infinity;
    assert.throws(() => sgd.loadStateDict(sd), (e: unknown) => e instanceof CuoptimError && /momentumBuffer\[0\]: expected a finite value/.test(e.message));
  });
}

test.run();
