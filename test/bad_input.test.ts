// test/bad_input.test.ts — the bad-input table: wrong shapes, dtypes and devices, freed tensors,
// NaN/Inf options, garbage state dicts, truncated / corrupted / wrong-model checkpoints, a full
// disk, a read-only directory. Each case must throw a CuoptimError with its stable code and a
// message naming the argument, and leave everything as it was: params, grads, optimizer state
// and options, scheduler and EMA state, and every file in the run's directory, byte for byte.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  AdamW,
  clipGradNorm,
  CuoptimError,
  EMA,
  load,
  Lookahead,
  lr,
  quantizeBlockwise,
  save,
  SGD,
  tensor,
  zerosLike,
  type Device,
  type ErrorCode,
  type Tensor,
} from "../src-ts/index.js";
import { testDevices } from "./helpers/devices.js";
import { gradAt, initParam } from "./helpers/synth.js";

interface World {
  device: Device;
  other: Device;
  dir: string;
  good: string;
  params: { w: Tensor; b: Tensor };
  optimizer: AdamW;
  scheduler: ReturnType<typeof lr.warmupCosine>;
  ema: EMA;
}

function makeWorld(device: Device): World {
  const dir = mkdtempSync(join(tmpdir(), "cuoptim-bad-"));
  const params = { w: tensor(initParam(3, 0, 48), [8, 6], { device }), b: tensor(initParam(3, 1, 6), [6], { device }) };
  const optimizer = new AdamW([{ params: [params.w] }, { params: [params.b], weightDecay: 0 }], { lr: 1e-2 });
  const scheduler = lr.warmupCosine(optimizer, { warmupSteps: 2, totalSteps: 10 });
  const ema = new EMA([params.w, params.b], { decay: 0.9 });
  for (let step = 0; step < 2; step++) {
    params.w.grad = tensor(gradAt(3, 0, step, 48, 0.1), [8, 6], { device });
    params.b.grad = tensor(gradAt(3, 1, step, 6, 0.1), [6], { device });
    optimizer.step();
    scheduler.step();
    ema.update();
  }
  const good = join(dir, "good.safetensors");
  save(good, { params, optimizer, scheduler, ema, meta: { step: 2 } });
  return { device, other: device === "cpu" ? "cuda-sim" : "cpu", dir, good, params, optimizer, scheduler, ema };
}

/** Everything a failed call must leave as it was. */
function snapshot(w: World): string {
  const files: Record<string, string> = {};
  const walk = (dir: string, rel: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory()) {
        files[`${rel}${e.name}/`] = "dir";
        walk(join(dir, e.name), `${rel}${e.name}/`);
      } else files[rel + e.name] = readFileSync(join(dir, e.name)).toString("base64");
    }
  };
  walk(w.dir, "");
  const enc = (v: unknown): unknown =>
    v instanceof Float32Array || v instanceof Uint8Array
      ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64")
      : Array.isArray(v)
        ? v.map(enc)
        : typeof v === "object" && v !== null
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, enc(x)]))
          : typeof v === "number" && !Number.isFinite(v)
            ? String(v)
            : v;
  return JSON.stringify(
    enc({
      params: Object.values(w.params).map((p) => p.toArray()),
      grads: Object.values(w.params).map((p) => p.grad?.toArray() ?? null),
      optimizer: w.optimizer.stateDict(),
      scheduler: w.scheduler.stateDict(),
      ema: w.ema.stateDict(),
      files,
    }),
  );
}

// --- checkpoint file surgery -------------------------------------------------------------------

function parts(path: string): { header: Record<string, unknown>; data: Buffer } {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  return { header: JSON.parse(buf.subarray(8, 8 + n).toString("utf8")), data: buf.subarray(8 + n) };
}
function assemble(header: unknown, data: Buffer, headerText = JSON.stringify(header)): Buffer {
  const h = Buffer.from(headerText, "utf8");
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([prefix, h, data]);
}
/** Writes a modified copy of the good checkpoint as `name` (before the snapshot) and returns its path. */
function variant(w: World, name: string, edit: (h: Record<string, Record<string, unknown>>, data: Buffer) => Buffer | void): string {
  const { header, data } = parts(w.good);
  const out = edit(header as Record<string, Record<string, unknown>>, data) ?? assemble(header, data);
  const path = join(w.dir, name);
  writeFileSync(path, out);
  return path;
}
const offsets = (h: Record<string, Record<string, unknown>>, name: string) => h[name]!.data_offsets as number[];
const metaOf = (h: Record<string, Record<string, unknown>>) => h.__metadata__ as Record<string, string>;

/** A directory no file can be created in: chmod 555, or (as root, whom modes do not stop) /sys. */
function readOnlyDir(w: World): string {
  const ro = join(w.dir, "read-only");
  mkdirSync(ro);
  chmodSync(ro, 0o555);
  try {
    writeFileSync(join(ro, "probe"), "x");
    rmSync(join(ro, "probe"));
    return "/sys"; // sysfs: nobody can create files there
  } catch {
    return ro;
  }
}

interface Case {
  name: string;
  code: ErrorCode;
  /** the message must mention this */
  mentions: string;
  /** runs before the snapshot (e.g. writes a corrupted file); returns what act() needs */
  prepare?: (w: World) => string;
  act: (w: World, prepared: string) => unknown;
}

const CASES: Case[] = [
  // tensors and grads
  { name: "tensor(): data length differs from the shape's numel", code: "ERR_SHAPE", mentions: "data", act: (w) => tensor(new Float32Array(5), [2, 3], { device: w.device }) },
  { name: "tensor(): a Float64Array", code: "ERR_DTYPE", mentions: "data", act: (w) => tensor(new Float64Array(6) as never, [6], { device: w.device }) },
  { name: "tensor(): a negative dimension", code: "ERR_SHAPE", mentions: "shape[1]", act: (w) => tensor(new Float32Array(0), [2, -3], { device: w.device }) },
  { name: "tensor(): an unknown device", code: "ERR_DEVICE", mentions: "device", act: () => tensor(new Float32Array(1), [1], { device: "tpu" as never }) },
  { name: "grad of another shape", code: "ERR_SHAPE", mentions: "grad", act: (w) => (w.params.w.grad = tensor(new Float32Array(48), [6, 8], { device: w.device })) },
  { name: "grad on another device", code: "ERR_DEVICE", mentions: "grad", act: (w) => (w.params.w.grad = tensor(new Float32Array(48), [8, 6], { device: w.other })) },
  {
    name: "a freed grad",
    code: "ERR_FREED",
    mentions: "grad",
    act: (w) => {
      const g = zerosLike(w.params.w);
      g.free();
      w.params.w.grad = g;
    },
  },
  {
    name: "step() after a param was freed",
    code: "ERR_FREED",
    mentions: "paramGroups[0].params[0]",
    act: (w) => {
      const p = tensor(new Float32Array(4), [4], { device: w.device });
      const opt = new SGD([p], { lr: 0.1 });
      p.free();
      opt.step();
    },
  },
  { name: "params on two devices", code: "ERR_DEVICE", mentions: "params[1]", act: (w) => new AdamW([w.params.w, tensor(new Float32Array(2), [2], { device: w.other })]) },
  // options
  { name: "lr NaN", code: "ERR_RANGE", mentions: "lr", act: (w) => new AdamW([w.params.w], { lr: NaN }) },
  { name: "betas with Infinity", code: "ERR_RANGE", mentions: "betas[1]", act: (w) => new AdamW([w.params.w], { betas: [0.9, Infinity] }) },
  { name: "an unknown option", code: "ERR_INVALID_ARGUMENT", mentions: "weight_decay", act: (w) => new AdamW([w.params.w], { weight_decay: 0.1 } as never) },
  {
    name: "a live group's weightDecay set to -1, then step()",
    code: "ERR_RANGE",
    mentions: "paramGroups[1].weightDecay",
    act: (w) => {
      const g = w.optimizer.paramGroups[1]!;
      const old = g.weightDecay;
      g.weightDecay = -1;
      try {
        w.optimizer.step();
      } finally {
        g.weightDecay = old;
      }
    },
  },
  { name: "step({maxGradNorm: -1})", code: "ERR_RANGE", mentions: "maxGradNorm", act: (w) => w.optimizer.step({ maxGradNorm: -1 }) },
  { name: "step({gradScale: NaN})", code: "ERR_RANGE", mentions: "gradScale", act: (w) => w.optimizer.step({ gradScale: NaN }) },
  { name: "step({normType: 3})", code: "ERR_RANGE", mentions: "normType", act: (w) => w.optimizer.step({ maxGradNorm: 1, normType: 3 as never }) },
  { name: "clipGradNorm with maxNorm Infinity", code: "ERR_RANGE", mentions: "maxNorm", act: (w) => clipGradNorm(Object.values(w.params), Infinity) },
  { name: "quantizeBlockwise with blockSize 3", code: "ERR_RANGE", mentions: "blockSize", act: (w) => quantizeBlockwise(w.params.w, { blockSize: 3 }) },
  { name: "Lookahead with alpha 2", code: "ERR_RANGE", mentions: "alpha", act: (w) => new Lookahead(w.optimizer, { alpha: 2 }) },
  // state dicts
  { name: "loadStateDict(garbage)", code: "ERR_STATE_DICT", mentions: "loadStateDict", act: (w) => w.optimizer.loadStateDict("garbage" as never) },
  {
    name: "loadStateDict with a state tensor of the wrong size",
    code: "ERR_STATE_DICT",
    mentions: "state[0].expAvg",
    act: (w) => {
      const d = w.optimizer.stateDict();
      d.state[0]!.expAvg = new Float32Array(3);
      w.optimizer.loadStateDict(d);
    },
  },
  {
    name: "loadStateDict of an SGD into an AdamW",
    code: "ERR_STATE_DICT",
    mentions: "momentum",
    act: (w) => {
      const s = new SGD([{ params: [tensor(new Float32Array(48), [8, 6], { device: w.device })] }, { params: [tensor(new Float32Array(6), [6], { device: w.device })] }], { momentum: 0.9 });
      w.optimizer.loadStateDict(s.stateDict() as never);
    },
  },
  {
    name: "scheduler loadStateDict with one lr for two groups",
    code: "ERR_STATE_DICT",
    mentions: "baseLrs",
    act: (w) => w.scheduler.loadStateDict({ ...w.scheduler.stateDict(), baseLrs: [0.1] }),
  },
  { name: "EMA loadStateDict with a short shadow", code: "ERR_STATE_DICT", mentions: "shadow[0]", act: (w) => w.ema.loadStateDict({ ...w.ema.stateDict(), shadow: [new Float32Array(2), new Float32Array(6)] }) },
  // checkpoints: corrupted files
  {
    name: "load: a truncated checkpoint",
    code: "ERR_CHECKPOINT",
    mentions: "truncated",
    prepare: (w) => variant(w, "truncated.safetensors", (_h, _d) => readFileSync(w.good).subarray(0, readFileSync(w.good).length - 100)),
    act: (w, path) => load(path, { params: w.params, optimizer: w.optimizer }),
  },
  {
    name: "load: a header length past the end of the file",
    code: "ERR_CHECKPOINT",
    mentions: "header length",
    prepare: (w) =>
      variant(w, "long-header.safetensors", () => {
        const b = Buffer.from(readFileSync(w.good));
        b.writeBigUInt64LE(BigInt(b.length), 0);
        return b;
      }),
    act: (w, path) => load(path, { params: w.params }),
  },
  {
    name: "load: a header that is not JSON",
    code: "ERR_CHECKPOINT",
    mentions: "JSON",
    prepare: (w) => variant(w, "not-json.safetensors", (h, d) => assemble(h, d, JSON.stringify(h).replace("{", "{{"))),
    act: (w, path) => load(path, { params: w.params }),
  },
  {
    name: "load: overlapping tensors",
    code: "ERR_CHECKPOINT",
    mentions: "overlaps",
    prepare: (w) =>
      variant(w, "overlap.safetensors", (h) => {
        const [, end] = offsets(h, "w");
        h.b!.data_offsets = [end! - 8, end! - 8 + 24];
      }),
    act: (w, path) => load(path, { params: w.params }),
  },
  {
    name: "load: offsets outside the data",
    code: "ERR_CHECKPOINT",
    mentions: "outside",
    prepare: (w) =>
      variant(w, "outside.safetensors", (h, d) => {
        h.b!.data_offsets = [d.length + 8, d.length + 32];
      }),
    act: (w, path) => load(path, { params: w.params }),
  },
  {
    name: "load: a dtype cuoptim does not read (F64)",
    code: "ERR_CHECKPOINT",
    mentions: "F64",
    prepare: (w) => variant(w, "f64.safetensors", (h) => void ((h.b!.dtype = "F64"), (h.b!.shape = [3]))),
    act: (w, path) => load(path, { params: w.params }),
  },
  {
    name: "load: a shape that does not fit its offsets",
    code: "ERR_CHECKPOINT",
    mentions: "needs",
    prepare: (w) => variant(w, "shape-size.safetensors", (h) => void (h.b!.shape = [7])),
    act: (w, path) => load(path, { params: w.params }),
  },
  {
    name: "load: bytes that belong to no tensor",
    code: "ERR_CHECKPOINT",
    mentions: "no tensor",
    prepare: (w) => variant(w, "gap.safetensors", (h, d) => assemble(h, Buffer.concat([d, Buffer.alloc(16)]))),
    act: (w, path) => load(path, { params: w.params }),
  },
  {
    name: "load: corrupted optimizer metadata",
    code: "ERR_CHECKPOINT",
    mentions: "cuoptim.optimizer",
    prepare: (w) => variant(w, "bad-meta.safetensors", (h) => void (metaOf(h)["cuoptim.optimizer"] = "{not json")),
    act: (w, path) => load(path, { params: w.params, optimizer: w.optimizer }),
  },
  // checkpoints: valid files that do not fit the targets
  {
    name: "load: a param of another shape (another model)",
    code: "ERR_CHECKPOINT",
    mentions: '"w"',
    prepare: (w) => variant(w, "other-shape.safetensors", (h) => void (h.w!.shape = [6, 8])),
    act: (w, path) => load(path, { params: w.params, optimizer: w.optimizer }),
  },
  {
    name: "load: other param names (another model)",
    code: "ERR_CHECKPOINT",
    mentions: "another model",
    prepare: (w) => {
      const path = join(w.dir, "other-names.safetensors");
      save(path, { params: { "encoder.w": w.params.w, "encoder.b": w.params.b } });
      return path;
    },
    act: (w, path) => load(path, { params: w.params }),
  },
  {
    name: "load: an SGD checkpoint into an AdamW",
    code: "ERR_CHECKPOINT",
    mentions: "SGD",
    prepare: (w) => {
      const path = join(w.dir, "sgd.safetensors");
      save(path, { params: w.params, optimizer: new SGD([w.params.w, w.params.b]) });
      return path;
    },
    act: (w, path) => load(path, { params: w.params, optimizer: w.optimizer }),
  },
  {
    name: "load: optimizer state for one group into two (checked after params and scheduler passed)",
    code: "ERR_STATE_DICT",
    mentions: "paramGroups",
    prepare: (w) => {
      const path = join(w.dir, "one-group.safetensors");
      const one = new AdamW([w.params.w, w.params.b]);
      save(path, { params: w.params, optimizer: one, scheduler: lr.warmupCosine(one, { warmupSteps: 2, totalSteps: 10 }) });
      return path;
    },
    act: (w, path) => load(path, { params: w.params, optimizer: w.optimizer }),
  },
  {
    name: "load: scheduler state with the wrong group count (checked before the optimizer changes)",
    code: "ERR_STATE_DICT",
    mentions: "scheduler",
    prepare: (w) =>
      variant(w, "sched-groups.safetensors", (h) => {
        const s = JSON.parse(metaOf(h)["cuoptim.scheduler"]!);
        s.state.baseLrs = [0.01];
        metaOf(h)["cuoptim.scheduler"] = JSON.stringify(s);
      }),
    act: (w, path) => load(path, { params: w.params, optimizer: w.optimizer, scheduler: w.scheduler, ema: w.ema }),
  },
  {
    name: "load: a checkpoint without optimizer state into an optimizer",
    code: "ERR_CHECKPOINT",
    mentions: "no optimizer state",
    prepare: (w) => {
      const path = join(w.dir, "params-only.safetensors");
      save(path, { params: w.params });
      return path;
    },
    act: (w, path) => load(path, { params: w.params, optimizer: w.optimizer }),
  },
  // checkpoints: the filesystem
  { name: "load: a missing file", code: "ERR_IO", mentions: "missing.safetensors", act: (w) => load(join(w.dir, "missing.safetensors"), { params: w.params }) },
  { name: "load: a directory", code: "ERR_IO", mentions: "read", act: (w) => load(w.dir, { params: w.params }) },
  {
    name: "save: into a read-only directory",
    code: "ERR_IO",
    mentions: "cannot create",
    prepare: (w) => readOnlyDir(w),
    act: (w, dir) => save(join(dir, "ckpt.safetensors"), { params: w.params, optimizer: w.optimizer }),
  },
  { name: "save: over a directory", code: "ERR_IO", mentions: "unchanged", prepare: (w) => (mkdirSync(join(w.dir, "a-dir")), join(w.dir, "a-dir")), act: (w, path) => save(path, { params: w.params }) },
  { name: "save: meta that is not JSON (a BigInt)", code: "ERR_INVALID_ARGUMENT", mentions: "meta.n", act: (w) => save(w.good, { params: w.params, meta: { n: 1n } }) },
  { name: "save: meta with a cycle", code: "ERR_INVALID_ARGUMENT", mentions: "cyclic", act: (w) => save(w.good, { params: w.params, meta: (() => { const o: Record<string, unknown> = {}; o.self = o; return o; })() }) },
  {
    name: "save: a freed param",
    code: "ERR_FREED",
    mentions: 'params["gone"]',
    act: (w) => {
      const gone = tensor(new Float32Array(2), [2], { device: w.device });
      gone.free();
      save(w.good, { params: { ...w.params, gone } });
    },
  },
  { name: "save: a reserved param name", code: "ERR_INVALID_ARGUMENT", mentions: "optimizer.", act: (w) => save(w.good, { params: { "optimizer.w": w.params.w } }) },
  {
    name: "save: a full disk (ulimit -f) over an existing checkpoint",
    code: "ERR_IO",
    mentions: "EFBIG",
    act: (w) => {
      const child = spawnSync("bash", ["-c", `trap "" XFSZ; ulimit -f 64; exec "${process.execPath}" --import tsx test/helpers/full_disk_child.ts "$0"`, w.good], { encoding: "utf8" });
      const out = JSON.parse(child.stdout.trim().split("\n").pop() ?? "{}") as { code: ErrorCode; message: string };
      throw new CuoptimError(out.code, out.message);
    },
  },
];

test(`the table has at least 30 cases (${CASES.length})`, () => {
  assert.ok(CASES.length >= 30);
});

for (const device of testDevices().filter((d) => d !== "cuda")) {
  const w = makeWorld(device);
  for (const c of CASES) {
    test(`${device}: ${c.name} -> ${c.code}, nothing changed`, () => {
      const prepared = c.prepare?.(w) ?? "";
      const before = snapshot(w);
      try {
        c.act(w, prepared);
        assert.unreachable("no error");
      } catch (e) {
        if (!(e instanceof CuoptimError)) throw e;
        assert.is(e.code, c.code, e.message);
        assert.ok(e.message.includes(c.mentions), `"${e.message}" should mention ${c.mentions}`);
      }
      assert.ok(snapshot(w) === before, "params, grads, optimizer, scheduler, EMA and files are unchanged");
    });
  }
  test.after(() => {
    try {
      chmodSync(join(w.dir, "read-only"), 0o755);
    } catch {
      // not created
    }
    rmSync(w.dir, { recursive: true, force: true });
  });
}

test.run();
