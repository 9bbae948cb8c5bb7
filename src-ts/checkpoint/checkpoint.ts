// src-ts/checkpoint/checkpoint.ts — save() and load(): params, optimizer (with its state: 8-bit
// codes, factored moments, Lookahead's slow weights), scheduler, EMA and user metadata in one
// safetensors file.
//
// Layout: params under their names (an array's under "0", "1", ...), optimizer tensors under
// "optimizer.<path in its stateDict()>", EMA tensors under "ema.<path>"; the header's
// __metadata__ holds JSON strings: cuoptim.format ("1"), cuoptim.params (param names, in order),
// cuoptim.optimizer / cuoptim.scheduler / cuoptim.ema ({class, state} with {"$tensor": name}
// where a tensor was) and cuoptim.meta (the caller's JSON).
//
// save() writes atomically (atomic_write.ts). load() validates the file's structure, matches
// every target against it (names, shapes, dtypes, classes, state dicts) and reads the data it
// needs before it changes anything; then the optimizer (whose loadStateDict is itself
// all-or-nothing), scheduler, EMA and params are set.
import { crc32 } from "node:zlib";
import { EMA } from "../ema.js";
import { CuoptimError, fail } from "../errors.js";
import { LBFGS } from "../optim/lbfgs.js";
import { Lookahead } from "../optim/lookahead.js";
import { Optimizer } from "../optim/optimizer.js";
import { checkTensor, formatShape, Tensor } from "../tensor.js";
import { closeSync, openForReading, readHeader, readTensor, writeSafetensors, type SafetensorsHeader } from "./safetensors.js";
import { checkPlainJson, decodeTree, encodeTree, referencedTensors, type TreeTensor } from "./state_tree.js";

/** A scheduler a checkpoint can hold: any of cuoptim's (LRScheduler, ChainedScheduler, ReduceLROnPlateau). */
export interface CheckpointableScheduler {
  stateDict(): unknown;
  loadStateDict(state: never): void;
  checkStateDict(state: never): void;
}

/** What load() restores into (and save() writes): params, an optimizer, a scheduler and an EMA, each optional. */
export interface CheckpointTargets {
  params?: Record<string, Tensor> | Tensor[];
  optimizer?: Optimizer<object> | Lookahead<object> | LBFGS;
  scheduler?: CheckpointableScheduler;
  ema?: EMA;
}

/** What save() writes: the targets and any JSON metadata. */
export interface CheckpointContents extends CheckpointTargets {
  /** Any JSON value (run name, epoch, data position, ...). */
  meta?: unknown;
}

/** What a checkpoint holds, as load() and inspect() report it. */
export interface CheckpointInfo {
  path: string;
  /** the param names, in the order they were saved */
  params: string[];
  optimizer: string | null;
  scheduler: string | null;
  ema: boolean;
  meta: unknown;
  /** every tensor in the file */
  tensors: { name: string; dtype: "F32" | "U8" | "BF16" | "F16"; shape: number[] }[];
}

const FORMAT = "1";
/** The safetensors dtype a param of each dtype is saved as (16-bit ones as their raw bits). */
const SAFETENSORS_DTYPE: Record<string, "F32" | "BF16" | "F16"> = { float32: "F32", bfloat16: "BF16", float16: "F16" };
const KEY = { format: "cuoptim.format", params: "cuoptim.params", optimizer: "cuoptim.optimizer", scheduler: "cuoptim.scheduler", ema: "cuoptim.ema", meta: "cuoptim.meta", crc32: "cuoptim.crc32" };
const RESERVED = ["optimizer.", "ema.", "__"];

/** Writes a checkpoint atomically: the path holds the old file or the complete new one. */
export function save(path: string, contents: CheckpointContents): void {
  if (typeof path !== "string" || path === "") fail("ERR_INVALID_ARGUMENT", "path: expected a non-empty string");
  if (typeof contents !== "object" || contents === null) fail("ERR_INVALID_ARGUMENT", "contents: expected {params, optimizer, scheduler, ema, meta}");
  const known = ["params", "optimizer", "scheduler", "ema", "meta"];
  for (const k of Object.keys(contents)) if (!known.includes(k)) fail("ERR_INVALID_ARGUMENT", `contents.${k}: unknown (known: ${known.join(", ")})`);
  const tensors: TreeTensor[] = [];
  const metadata: Record<string, string> = { [KEY.format]: FORMAT };

  const params = namedParams(contents.params, "params");
  for (const [name, p] of params) {
    const half = SAFETENSORS_DTYPE[p.dtype];
    if (half !== "F32") tensors.push({ name, data: p.device === "cpu" ? (p.data as Uint16Array) : (p.toBits() as Uint16Array), shape: [...p.shape], half });
    else tensors.push({ name, data: p.device === "cpu" ? (p.data as Float32Array) : p.toArray() as Float32Array, shape: [...p.shape] });
  }
  metadata[KEY.params] = JSON.stringify(params.map(([n]) => n));

  const { optimizer, scheduler, ema } = contents;
  if (optimizer !== undefined) {
    const inner = checkOptimizer(optimizer, "optimizer");
    const shapeOf = stateShapes(optimizer);
    const dict = optimizer.stateDict();
    // What is written must load back: the loader's own rules, run now.
    unloadable("optimizer", () => (optimizer as { checkStateDict(d: unknown): void }).checkStateDict(dict));
    const state = encodeTree(dict, "optimizer", tensors, shapeOf);
    metadata[KEY.optimizer] = JSON.stringify({ class: optimizer.constructor.name, inner: inner === optimizer ? undefined : inner.constructor.name, state });
  }
  if (scheduler !== undefined) {
    checkScheduler(scheduler, "scheduler");
    const dict = scheduler.stateDict();
    unloadable("scheduler", () => scheduler.checkStateDict(dict as never));
    metadata[KEY.scheduler] = JSON.stringify({ class: scheduler.constructor.name, state: encodeTree(dict, "scheduler", tensors) });
  }
  if (ema !== undefined) {
    if (!(ema instanceof EMA)) fail("ERR_INVALID_ARGUMENT", "ema: expected an EMA");
    ema.shadow.forEach((s, i) => s.assertLive(`ema.shadow[${i}]`));
    const state = encodeTree(ema.stateDict(), "ema", tensors, (p) => (p[0] === "shadow" ? ema.shadow[Number(p[1])]?.shape : undefined));
    metadata[KEY.ema] = JSON.stringify({ class: "EMA", state });
  }
  if (contents.meta !== undefined) {
    checkPlainJson(contents.meta, "meta");
    metadata[KEY.meta] = JSON.stringify(contents.meta);
  }

  const seen = new Set<string>();
  for (const t of tensors) {
    if (seen.has(t.name)) fail("ERR_INVALID_ARGUMENT", `params: the name "${t.name}" is used twice`);
    seen.add(t.name);
  }
  // Each tensor's CRC-32, checked when it is read back: a flipped byte, or two same-size tensors
  // whose offsets were swapped, is refused instead of loaded.
  metadata[KEY.crc32] = JSON.stringify(Object.fromEntries(tensors.map((t) => [t.name, crc32(bytesOf(t.data))])));
  writeSafetensors(
    path,
    tensors.map((t) => ({ name: t.name, dtype: t.half ?? (t.data instanceof Float32Array ? "F32" : "U8"), shape: t.shape, data: t.data })),
    metadata,
  );
}

/** What a checkpoint holds (validated), without loading anything. */
export function inspect(path: string): CheckpointInfo {
  if (typeof path !== "string" || path === "") fail("ERR_INVALID_ARGUMENT", "path: expected a non-empty string");
  return withFile(path, (fd, header) => describe(path, header));
}

/**
 * Loads a checkpoint into the given targets (each optional). Everything is checked — the file,
 * and each target against it — before anything changes; a failed load changes nothing.
 */
export function load(path: string, into: CheckpointTargets = {}): CheckpointInfo {
  // The optimizer's own loadStateDict checks its dict before it changes anything.
  const prepared = prepare(path, into, false);
  prepared.apply();
  return prepared.info;
}

/**
 * load() in two halves: every check and every read (the optimizer's state dict included), then
 * `apply`, which changes the targets and can fail only as an allocation can. A sharded load
 * checks every rank's file before any rank applies its own (cuoptim/distributed).
 */
export function prepareLoad(path: string, into: CheckpointTargets = {}): { info: CheckpointInfo; apply: () => void } {
  return prepare(path, into, true);
}

function prepare(path: string, into: CheckpointTargets, checkStateFirst: boolean): { info: CheckpointInfo; apply: () => void } {
  if (typeof path !== "string" || path === "") fail("ERR_INVALID_ARGUMENT", "path: expected a non-empty string");
  if (typeof into !== "object" || into === null) fail("ERR_INVALID_ARGUMENT", "into: expected {params, optimizer, scheduler, ema}");
  for (const k of Object.keys(into)) if (!["params", "optimizer", "scheduler", "ema"].includes(k)) fail("ERR_INVALID_ARGUMENT", `into.${k}: unknown (known: params, optimizer, scheduler, ema)`);
  const targets = namedParams(into.params, "into.params");
  if (into.optimizer !== undefined) checkOptimizer(into.optimizer, "into.optimizer");
  if (into.scheduler !== undefined) checkScheduler(into.scheduler, "into.scheduler");
  if (into.ema !== undefined && !(into.ema instanceof EMA)) fail("ERR_INVALID_ARGUMENT", "into.ema: expected an EMA");

  return withFile(path, (fd, header) => {
    const info = describe(path, header);
    const bad = (what: string): never => fail("ERR_CHECKPOINT", `${path}: ${what}`);
    const sums = checksums(header, bad);
    const read = (name: string, dtype?: "F32" | "U8" | "BF16" | "F16"): Float32Array | Uint16Array | Uint8Array => {
      const e = header.entries.get(name) ?? bad(`references tensor "${name}", which the file does not hold`);
      if (dtype && e.dtype !== dtype) bad(`tensor "${name}" is ${e.dtype}, expected ${dtype}`);
      const data = readTensor(fd, header, e, path);
      const want = sums?.[name];
      if (sums && want === undefined) bad(`holds no checksum for tensor "${name}"`);
      if (want !== undefined && crc32(bytesOf(data)) !== want) bad(`tensor "${name}" does not match its checksum (the file is corrupt)`);
      return data;
    };

    // Params: the same names, shapes and dtype as the file's (a different model is refused).
    let paramData: (Float32Array | Uint16Array)[] = [];
    if (into.params !== undefined) {
      const names = new Set(targets.map(([n]) => n));
      const inFile = new Set(info.params);
      const missing = targets.filter(([n]) => !inFile.has(n)).map(([n]) => n);
      const extra = info.params.filter((n) => !names.has(n));
      if (missing.length || extra.length) {
        bad(`holds another model's params: ${missing.length ? `missing ${list(missing)}` : ""}${missing.length && extra.length ? "; " : ""}${extra.length ? `not in the target ${list(extra)}` : ""}`);
      }
      for (const [name, p] of targets) {
        const e = header.entries.get(name)!;
        const want = SAFETENSORS_DTYPE[p.dtype];
        if (e.dtype !== want) bad(`param "${name}" is ${e.dtype} in the file, the target is ${p.dtype} (${want})`);
        if (e.shape.length !== p.shape.length || e.shape.some((d, i) => d !== p.shape[i])) {
          bad(`param "${name}" has shape ${formatShape(e.shape)} in the file, the target has ${formatShape(p.shape)} (another model?)`);
        }
      }
      paramData = targets.map(([name, p]) => read(name, SAFETENSORS_DTYPE[p.dtype]) as Float32Array | Uint16Array);
    }

    const section = (key: string, what: string): { class: string; inner?: string; state: unknown } => {
      const raw = header.metadata[key] ?? bad(`holds no ${what}`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch (e) {
        bad(`the ${what} metadata is not JSON (${(e as Error).message})`);
      }
      const o = parsed as { class?: unknown; state?: unknown };
      if (typeof o !== "object" || o === null || typeof o.class !== "string" || !("state" in o)) bad(`the ${what} metadata is not {class, state}`);
      return parsed as { class: string; inner?: string; state: unknown };
    };
    const wrap = <T>(what: string, f: () => T): T => {
      try {
        return f();
      } catch (e) {
        if (e instanceof CuoptimError && e.code === "ERR_STATE_DICT") throw new CuoptimError(e.code, `${path}: ${what}: ${e.message}`);
        throw e;
      }
    };

    let optimizerDict: unknown;
    if (into.optimizer !== undefined) {
      const s = section(KEY.optimizer, "optimizer state");
      const target = into.optimizer;
      const inner = target instanceof Lookahead ? target.optimizer : target;
      const expected = target === inner ? target.constructor.name : `${target.constructor.name}(${inner.constructor.name})`;
      const found = s.inner ? `${s.class}(${s.inner})` : s.class;
      if (found !== expected) bad(`holds ${article(found)} state; the optimizer given is ${article(expected)}`);
      optimizerDict = decodeTree(s.state, (n) => read(n) as Float32Array | Uint8Array);
    }
    let schedulerState: unknown;
    if (into.scheduler !== undefined) {
      const s = section(KEY.scheduler, "scheduler state");
      if (s.class !== into.scheduler.constructor.name) bad(`holds ${article(s.class)} scheduler state; the scheduler given is ${article(into.scheduler.constructor.name)}`);
      schedulerState = decodeTree(s.state, (n) => read(n) as Float32Array | Uint8Array);
      wrap("scheduler", () => into.scheduler!.checkStateDict(schedulerState as never));
    }
    let emaState: unknown;
    if (into.ema !== undefined) {
      const s = section(KEY.ema, "EMA state");
      emaState = decodeTree(s.state, (n) => read(n) as Float32Array | Uint8Array);
      wrap("ema", () => into.ema!.checkStateDict(emaState as never));
    }
    if (checkStateFirst && into.optimizer !== undefined) wrap("optimizer", () => into.optimizer!.checkStateDict(optimizerDict as never));
    targets.forEach(([name, p]) => p.assertLive(`into.params["${name}"]`));

    // Everything checked and read: apply. The optimizer's load is all-or-nothing and goes first.
    const apply = (): void => {
      if (into.optimizer !== undefined) wrap("optimizer", () => into.optimizer!.loadStateDict(optimizerDict as never));
      if (into.scheduler !== undefined) into.scheduler.loadStateDict(schedulerState as never);
      if (into.ema !== undefined) into.ema.loadStateDict(emaState as never);
      targets.forEach(([, p], i) => p.set(paramData[i]! as never));
    };
    return { info, apply };
  });
}

// --- helpers --------------------------------------------------------------------------------

/** Runs a loader's check on what save() is about to write; its refusal becomes save's. */
function unloadable(what: string, check: () => void): void {
  try {
    check();
  } catch (e) {
    if (e instanceof CuoptimError && e.code === "ERR_STATE_DICT") {
      throw new CuoptimError("ERR_STATE_DICT", `save: the ${what}'s state would not load back, so nothing was written: ${e.message}`);
    }
    throw e;
  }
}

const bytesOf = (a: Float32Array | Uint16Array | Uint8Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The per-tensor CRC-32s a cuoptim checkpoint carries (null for files written elsewhere). */
function checksums(header: SafetensorsHeader, bad: (what: string) => never): Record<string, number> | null {
  const raw = header.metadata[KEY.crc32];
  if (raw === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    return bad(`metadata ${KEY.crc32} is not JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((v) => !Number.isInteger(v))) {
    bad(`metadata ${KEY.crc32} is not a map of tensor names to CRC-32s`);
  }
  return parsed as Record<string, number>;
}

function withFile<T>(path: string, f: (fd: number, header: SafetensorsHeader) => T): T {
  const fd = openForReading(path);
  try {
    return f(fd, readHeader(fd, path));
  } finally {
    closeSync(fd);
  }
}

function describe(path: string, header: SafetensorsHeader): CheckpointInfo {
  const bad = (what: string): never => fail("ERR_CHECKPOINT", `${path}: ${what}`);
  const json = (key: string): unknown => {
    const raw = header.metadata[key];
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(raw);
    } catch (e) {
      return bad(`metadata ${key} is not JSON (${(e as Error).message})`);
    }
  };
  const format = header.metadata[KEY.format];
  if (format !== undefined && format !== FORMAT) bad(`checkpoint format ${format} (this cuoptim reads format ${FORMAT})`);
  let params: string[];
  if (format === undefined) {
    // A safetensors file from elsewhere: its float tensors are params.
    params = [...header.entries.values()].filter((e) => e.dtype !== "U8").map((e) => e.name);
  } else {
    const names = json(KEY.params);
    if (!Array.isArray(names) || names.some((n) => typeof n !== "string")) bad(`metadata ${KEY.params} is not a list of names`);
    params = names as string[];
    for (const n of params) if (!header.entries.has(n)) bad(`lists param "${n}", which the file does not hold`);
  }
  const sectionClass = (key: string): string | null => {
    const v = json(key) as { class?: unknown } | undefined;
    if (v === undefined) return null;
    if (typeof v !== "object" || v === null || typeof v.class !== "string") return bad(`metadata ${key} is not {class, state}`);
    const inner = (v as { inner?: unknown }).inner;
    return typeof inner === "string" ? `${v.class}(${inner})` : v.class;
  };
  const info: CheckpointInfo = {
    path,
    params,
    optimizer: sectionClass(KEY.optimizer),
    scheduler: sectionClass(KEY.scheduler),
    ema: header.metadata[KEY.ema] !== undefined,
    meta: json(KEY.meta) ?? null,
    tensors: [...header.entries.values()].sort((a, b) => a.begin - b.begin).map((e) => ({ name: e.name, dtype: e.dtype, shape: [...e.shape] })),
  };
  // Every tensor a section references must exist with a sane size (checked again when read).
  for (const key of [KEY.optimizer, KEY.scheduler, KEY.ema]) {
    for (const n of referencedTensors(json(key))) if (!header.entries.has(n)) bad(`metadata ${key} references tensor "${n}", which the file does not hold`);
  }
  return info;
}

function namedParams(params: CheckpointTargets["params"], where: string): [string, Tensor][] {
  if (params === undefined) return [];
  let named: [string, Tensor][];
  if (Array.isArray(params)) named = params.map((p, i) => [String(i), p]);
  else if (typeof params === "object" && params !== null) named = Object.entries(params);
  else return fail("ERR_INVALID_ARGUMENT", `${where}: expected an array of tensors or a record of named tensors`);
  for (const [name, p] of named) {
    const w = Array.isArray(params) ? `${where}[${name}]` : `${where}["${name}"]`;
    checkTensor(p, w);
    p.assertLive(w);
    if (!(p.dtype in SAFETENSORS_DTYPE)) fail("ERR_DTYPE", `${w}: expected a float32, bfloat16 or float16 tensor, got ${p.dtype}`);
    if (name === "" || RESERVED.some((r) => name.startsWith(r))) fail("ERR_INVALID_ARGUMENT", `${w}: a param name must be non-empty and not start with ${RESERVED.map((r) => `"${r}"`).join(", ")}`);
  }
  return named;
}

function checkOptimizer(optimizer: unknown, where: string): Optimizer<object> | LBFGS {
  if (optimizer instanceof Lookahead) return optimizer.optimizer;
  if (optimizer instanceof LBFGS) return optimizer;
  if (!(optimizer instanceof Optimizer)) return fail("ERR_INVALID_ARGUMENT", `${where}: expected a cuoptim optimizer`);
  return optimizer;
}

function checkScheduler(scheduler: unknown, where: string): void {
  const s = scheduler as Partial<CheckpointableScheduler> | null;
  const ok = typeof s === "object" && s !== null && typeof s.stateDict === "function" && typeof s.loadStateDict === "function" && typeof s.checkStateDict === "function";
  if (!ok) fail("ERR_INVALID_ARGUMENT", `${where}: expected a cuoptim scheduler`);
}

/** Shapes of an optimizer's state tensors, by their path in its stateDict(). */
function stateShapes(optimizer: Optimizer<object> | Lookahead<object> | LBFGS): (path: string[]) => readonly number[] | undefined {
  // LBFGS's vectors are flat (the params concatenated, as torch's).
  if (optimizer instanceof LBFGS) return () => undefined;
  const inner = optimizer instanceof Lookahead ? optimizer.optimizer : optimizer;
  const params = inner.params();
  const innerShape = (p: string[]) => (p[0] === "state" ? inner.state.get(params[Number(p[1])]!)?.tensors[p[2]!]?.shape : undefined);
  if (optimizer === inner) return innerShape;
  return (p) => (p[0] === "inner" ? innerShape(p.slice(1)) : p[0] === "slow" ? params[Number(p[1])]?.shape : undefined);
}

const list = (names: string[]) => (names.length > 5 ? `${names.slice(0, 5).map((n) => `"${n}"`).join(", ")} and ${names.length - 5} more` : names.map((n) => `"${n}"`).join(", "));
const article = (s: string) => (/^[AEIOU]/.test(s) ? `an ${s}` : `a ${s}`);
