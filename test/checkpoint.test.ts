// test/checkpoint.test.ts — save()/load(): a run checkpointed mid-way and resumed (on the same or
// another backend) continues bit for bit like the uninterrupted run, for every kind of optimizer
// state (moments, a host scalar, 8-bit codes, factored moments, Lookahead's slow weights) with its
// scheduler and EMA; files are valid safetensors for an independent reader, and files written by
// one load; saving replaces files atomically and leaves no temporary files.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  Adafactor,
  AdamW,
  AdamW8bit,
  EMA,
  inspectCheckpoint,
  load,
  Lookahead,
  lr,
  NAdam,
  save,
  SGD,
  tensor,
  zeros,
  type Device,
  type Optimizer,
  type Tensor,
} from "../src-ts/index.js";
import { assertBitwiseEqual } from "./helpers/compare.js";
import { testDevices } from "./helpers/devices.js";
import { decodeF32 } from "./helpers/fixtures.js";
import { numpyPython, runPython } from "./helpers/python.js";
import { stateArrays } from "./helpers/state.js";
import { gradAt, initParam } from "./helpers/synth.js";

const dir = mkdtempSync(join(tmpdir(), "cuoptim-ckpt-"));
const SHAPES: Record<string, number[]> = { "embed.weight": [40, 24], "fc.weight": [24, 33], "fc.bias": [33], "norm.scale": [1] };
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

type MakeOptimizer = (groups: { params: Tensor[]; weightDecay?: number }[]) => Optimizer<object> | Lookahead<object>;
const KINDS: [string, MakeOptimizer][] = [
  ["AdamW (no-decay group)", (g) => new AdamW(g, { lr: 1e-2 })],
  ["SGD momentum", (g) => new SGD(g, { lr: 0.05, momentum: 0.9 })],
  ["NAdam (host scalar)", (g) => new NAdam(g, { lr: 1e-2 })],
  ["AdamW8bit (8-bit codes)", (g) => new AdamW8bit(g, { lr: 1e-2, min8bitSize: 256, blockSize: 64 })],
  ["Adafactor (factored)", (g) => new Adafactor(g, { lr: 1e-2 })],
  ["Lookahead(AdamW)", (g) => new Lookahead(new AdamW(g, { lr: 1e-2 }), { k: 4 })],
];

function run(device: Device, make: MakeOptimizer, values?: Record<string, Float32Array>) {
  const params: Record<string, Tensor> = {};
  Object.entries(SHAPES).forEach(([name, shape], i) => (params[name] = tensor(values?.[name] ?? initParam(21, i, numel(shape)), shape, { device })));
  const decay = [params["embed.weight"]!, params["fc.weight"]!];
  const noDecay = [params["fc.bias"]!, params["norm.scale"]!];
  const optimizer = make([{ params: decay }, { params: noDecay, weightDecay: 0 }].map((g) => (g.weightDecay === undefined ? { params: g.params } : g)));
  const scheduler = lr.warmupCosine(optimizer, { warmupSteps: 3, totalSteps: 20, minRatio: 0.1 });
  const ema = new EMA(Object.values(params), { decay: 0.9, warmup: true });
  const train = (from: number, to: number) => {
    for (let step = from; step < to; step++) {
      Object.values(params).forEach((p, i) => {
        p.grad = i === 3 && step === 2 ? null : tensor(gradAt(21, i, step, p.numel, 0.1), p.shape, { device });
      });
      optimizer.step();
      scheduler.step();
      ema.update();
    }
  };
  return { params, optimizer, scheduler, ema, train };
}

const devices = testDevices();
const pairs = devices.flatMap((a) => devices.map((b) => [a, b] as const)).filter(([a, b]) => a === b || a === "cpu" || b === "cpu");
for (const [name, make] of KINDS) {
  for (const [from, to] of pairs) {
    test(`${name}: checkpoint on ${from} after 6 steps, resume on ${to}: 6 more steps match the uninterrupted run bitwise`, () => {
      const straight = run(from, make);
      straight.train(0, 12);
      const first = run(from, make);
      first.train(0, 6);
      const path = join(dir, "run.safetensors");
      save(path, { params: first.params, optimizer: first.optimizer, scheduler: first.scheduler, ema: first.ema, meta: { step: 6, run: "t" } });

      const resumed = run(to, make, Object.fromEntries(Object.keys(SHAPES).map((n) => [n, new Float32Array(numel(SHAPES[n]!))])));
      const info = load(path, { params: resumed.params, optimizer: resumed.optimizer, scheduler: resumed.scheduler, ema: resumed.ema });
      assert.equal(info.meta, { step: 6, run: "t" });
      assert.equal(info.params, Object.keys(SHAPES));
      resumed.train(6, 12);

      for (const n of Object.keys(SHAPES)) assertBitwiseEqual(resumed.params[n]!.toArray(), straight.params[n]!.toArray(), n);
      const a = stateArrays(resumed.optimizer);
      const b = stateArrays(straight.optimizer);
      assert.is(a.length, b.length);
      a.forEach((x, i) => assertBitwiseEqual(x, b[i]!, `optimizer state ${i}`));
      assert.equal(resumed.scheduler.getLastLr(), straight.scheduler.getLastLr());
      resumed.ema.shadow.forEach((s, i) => assertBitwiseEqual(s.toArray(), straight.ema.shadow[i]!.toArray(), `ema ${i}`));
      assert.equal(resumed.optimizer.paramGroups.map(({ params: _p, ...o }) => o), straight.optimizer.paramGroups.map(({ params: _p, ...o }) => o));
    });
  }
}

test("inspectCheckpoint lists params, sections and tensors with their shapes and dtypes", () => {
  const r = run("cpu", (g) => new AdamW8bit(g, { min8bitSize: 256, blockSize: 64 }));
  r.train(0, 2);
  const path = join(dir, "inspect.safetensors");
  save(path, { params: r.params, optimizer: r.optimizer });
  const info = inspectCheckpoint(path);
  assert.equal(info.params, Object.keys(SHAPES));
  assert.is(info.optimizer, "AdamW8bit");
  assert.is(info.scheduler, null);
  assert.is(info.ema, false);
  const byName = new Map(info.tensors.map((t) => [t.name, t]));
  assert.equal(byName.get("fc.weight"), { name: "fc.weight", dtype: "F32", shape: [24, 33] });
  assert.is(byName.get("optimizer.state.0.state1")!.dtype, "U8");
  assert.is(byName.get("optimizer.state.0.absmax1")!.dtype, "F32");
});

test("saving over a checkpoint replaces it and leaves no temporary files", () => {
  const sub = mkdtempSync(join(dir, "atomic-"));
  const path = join(sub, "ckpt.safetensors");
  const p = tensor(new Float32Array([1, 2, 3]), [3]);
  save(path, { params: { p }, meta: 1 });
  p.set(new Float32Array([4, 5, 6]));
  save(path, { params: { p }, meta: 2 });
  assert.equal(readdirSync(sub), ["ckpt.safetensors"]);
  const q = tensor(new Float32Array(3), [3]);
  assert.is(load(path, { params: { p: q } }).meta, 2);
  assert.equal([...q.toArray()], [4, 5, 6]);
});

const python = numpyPython();
if (!python) console.log("  (skipping the safetensors interop tests: no python3 with numpy here)");

test("an independent reader (numpy, by hand; the safetensors package too when installed) reads every tensor", () => {
  if (!python) return;
  const r = run("cpu", (g) => new Lookahead(new AdamW8bit(g, { min8bitSize: 256, blockSize: 64 }), { k: 2 }));
  r.train(0, 3);
  const path = join(dir, "interop.safetensors");
  save(path, { params: r.params, optimizer: r.optimizer, scheduler: r.scheduler, ema: r.ema, meta: { note: "ünïcode" } });
  const out = JSON.parse(runPython("test/interop/safetensors_io.py", ["read", path])) as {
    metadata: Record<string, string>;
    tensors: Record<string, { dtype: string; shape: number[]; b64: string }>;
  };
  const info = inspectCheckpoint(path);
  assert.equal(Object.keys(out.tensors).sort(), info.tensors.map((t) => t.name).sort());
  for (const t of info.tensors) {
    assert.is(out.tensors[t.name]!.dtype, t.dtype, t.name);
    assert.equal(out.tensors[t.name]!.shape, t.shape, t.name);
  }
  for (const [n, p] of Object.entries(r.params)) assertBitwiseEqual(decodeF32(out.tensors[n]!.b64), p.toArray(), n);
  const codes = (r.optimizer as Lookahead<object>).optimizer.state.get(r.params["embed.weight"]!)!.tensors.state1!.toArray();
  assertBitwiseEqual(new Uint8Array(Buffer.from(out.tensors["optimizer.inner.state.0.state1"]!.b64, "base64")), codes, "8-bit codes");
  assert.equal(JSON.parse(out.metadata["cuoptim.meta"]!), { note: "ünïcode" });
});

test("a safetensors file written by the independent writer loads as params", () => {
  if (!python) return;
  const a = initParam(5, 0, 12);
  const b = initParam(5, 1, 7);
  const path = join(dir, "from_python.safetensors");
  const b64 = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString("base64");
  runPython("test/interop/safetensors_io.py", ["write", path], JSON.stringify({ "layer.a": { dtype: "F32", shape: [3, 4], b64: b64(a) }, "layer.b": { dtype: "F32", shape: [7], b64: b64(b) } }));
  const pa = tensor(new Float32Array(12), [3, 4]);
  const pb = tensor(new Float32Array(7), [7]);
  const info = load(path, { params: { "layer.a": pa, "layer.b": pb } });
  assert.equal(info.params.sort(), ["layer.a", "layer.b"]);
  assert.is(info.optimizer, null);
  assertBitwiseEqual(pa.toArray(), a, "layer.a");
  assertBitwiseEqual(pb.toArray(), b, "layer.b");
  assert.ok(readFileSync(path).length > 0);
});

test("16-bit params are saved as BF16 / F16 raw bits, read by the independent reader, and loaded back exactly", () => {
  for (const device of testDevices()) {
    const w = tensor(initParam(6, 0, 12), [3, 4], { device, dtype: "bfloat16" });
    const b = tensor(initParam(6, 1, 5), [5], { device, dtype: "float16" });
    const opt = new AdamW([w, b], { masterWeights: true });
    w.grad = tensor(initParam(6, 2, 12), [3, 4], { device, dtype: "bfloat16" });
    b.grad = tensor(initParam(6, 3, 5), [5], { device, dtype: "float16" });
    opt.step();
    const path = join(dir, `half-${device}.safetensors`);
    save(path, { params: { w, b }, optimizer: opt });
    const info = inspectCheckpoint(path);
    assert.equal(info.tensors.filter((t) => t.name === "w" || t.name === "b").map((t) => t.dtype).sort(), ["BF16", "F16"]);
    const w2 = zeros([3, 4], { device, dtype: "bfloat16" });
    const b2 = zeros([5], { device, dtype: "float16" });
    const opt2 = new AdamW([w2, b2], { masterWeights: true });
    load(path, { params: { w: w2, b: b2 }, optimizer: opt2 });
    assert.equal([...w2.toBits()], [...w.toBits()]);
    assert.equal([...b2.toBits()], [...b.toBits()]);
    assert.equal([...opt2.state.get(w2)!.tensors.master!.toBits()], [...opt.state.get(w)!.tensors.master!.toBits()]);
    // A float32 target for a BF16 param is another model's param: refused, nothing changed.
    const f = zeros([3, 4], { device });
    try {
      load(path, { params: { w: f, b: b2 } });
      assert.unreachable("a float32 target for a BF16 param loads");
    } catch (e) {
      assert.match((e as Error).message, /param "w" is BF16 in the file, the target is float32 \(F32\)/);
    }
    if (python && device === "cpu") {
      const out = JSON.parse(runPython("test/interop/safetensors_io.py", ["read", path])) as { tensors: Record<string, { dtype: string; b64: string }> };
      assert.is(out.tensors.w!.dtype, "BF16");
      assert.is(out.tensors.b!.dtype, "F16");
      const bits = (s: string) => [...new Uint16Array(new Uint8Array(Buffer.from(s, "base64")).buffer)];
      assert.equal(bits(out.tensors.w!.b64), [...w.toBits()]);
      assert.equal(bits(out.tensors.b!.b64), [...b.toBits()]);
    }
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
