// src-ts/parity/case.ts — a parity case: what to run (optimizer, groups, schedule, clipping,
// gradients, steps, snapshots, devices, dtypes) and how close the result must be. The JSON schema
// is parity/case.schema.json; the Python generators (parity/python/cuoptim_parity/loop.py) apply
// the same defaults. checkCase() reads a parsed JSON value once, checks every field and returns
// the case with its defaults filled in, or throws ERR_PARITY naming the field (`case.params[2].shape`).
import type { Device } from "../device.js";
import { fail } from "../errors.js";
import { describe } from "../validate.js";

/** A run's param and gradient dtype. */
export type ParityDType = "float32" | "bfloat16" | "float16";
/** The shipped reference generators (parity/python/cuoptim_parity/<name>_ref.py). */
export type ReferenceName = "torch" | "bitsandbytes" | "transformers" | "schedulefree";
/** Every reference generator's name. */
export const REFERENCES: readonly ReferenceName[] = ["torch", "bitsandbytes", "transformers", "schedulefree"];
/** Every dtype a case can run in. */
export const DTYPES: readonly ParityDType[] = ["float32", "bfloat16", "float16"];
export const DEVICES: readonly Device[] = ["cpu", "cuda-sim", "cuda"];

/** One param of a case: its name, shape and synthetic scales. */
export interface ParityParam {
  /** the param's name in the trajectory: letters, digits, `_`, `.` and `-` */
  name: string;
  shape: number[];
  /** synthetic initial values are uniform in [-initScale, initScale). Default: 1. */
  initScale?: number;
  /** synthetic gradients are uniform in [-gradScale, gradScale). Default: 1. */
  gradScale?: number;
  /** steps (1-based) at which the param has no gradient (synthetic gradients). Default: none. */
  absentAt?: number[];
}

/** A non-finite value put into a gradient: at `step`, element `index` of `param` becomes `value`. */
export interface InjectedValue {
  param: string;
  step: number;
  /** the element (row-major) that becomes `value` */
  index: number;
  value: "nan" | "inf" | "-inf";
}

/** Where a case's gradients come from: synthetic (a seed) or recorded (a safetensors file). */
export type GradSource =
  | { source: "synthetic"; seed: number; inject?: InjectedValue[] }
  /** a safetensors file of float32 tensors `grad/<step>/<param>` (a missing one: no gradient at that step), optionally `init/<param>`; a relative path is relative to the case file */
  | { source: "file"; path: string; inject?: InjectedValue[] };

/** A case's schedule: a scheduler by name and its options (cuoptim's camelCase). */
export interface ScheduleSpec {
  /** a torch scheduler (StepLR, OneCycleLR, SequentialLR, ...) or an LLM schedule (warmupCosine, wsd, ...) */
  name: string;
  options?: Record<string, unknown>;
}

/** How close a run must be to its reference: an element passes within `ulp` units in the last place, or when |a - b| <= atol + rtol·|reference|. */
export interface Tolerance {
  /** largest accepted distance in units in the last place of the tensor's dtype. Default: per optimizer family. */
  ulp?: number;
  /** largest accepted |a - b| / |b| */
  rtol?: number;
  /** largest accepted |a - b| */
  atol?: number;
}

/** A parity case, as its JSON file holds it (schema: parity/case.schema.json). */
export interface ParityCase {
  name: string;
  /** a cuoptim optimizer class name (AdamW, SGD, Adam8bit, Adafactor, ...) */
  optimizer: string;
  /** the optimizer's options for every group (its constructor's defaults). Default: {} */
  options?: Record<string, unknown>;
  params: ParityParam[];
  /** param groups by param name, each with its own options. Default: one group of every param. */
  groups?: { params: string[]; options?: Record<string, unknown> }[];
  /** stepped after every optimizer step, also a skipped one */
  schedule?: ScheduleSpec | null;
  /** clip_grad_norm_ over the params with a gradient, before each step */
  clip?: { maxNorm: number; normType?: 2 | "inf" } | null;
  /** skip a step whose gradients hold NaN or Inf (nothing changes). Default: true when values are injected. */
  guard?: boolean;
  grads: GradSource;
  /** the seed of the synthetic initial params */
  seed: number;
  steps: number;
  /** steps after which the params are recorded */
  snapshots: number[];
  /** snapshot steps after which the state is recorded too. Default: every snapshot. */
  stateAt?: number[];
  /** Default: ["cpu"] */
  devices?: Device[];
  /** the params' and grads' dtype; each is run. Default: ["float32"] */
  dtypes?: ParityDType[];
  /** the reference generator `--live` runs. Default: per optimizer (torch for torch.optim's). */
  reference?: ReferenceName;
  /** Default: per optimizer family (see defaultTolerance) */
  tolerance?: Tolerance;
}

/** A case with its defaults filled in. */
export type NormalizedCase = Required<Omit<ParityCase, "schedule" | "clip" | "tolerance">> & {
  schedule: ScheduleSpec | null;
  clip: { maxNorm: number; normType: 2 | "inf" } | null;
  tolerance: Required<Tolerance>;
  groups: { params: string[]; options: Record<string, unknown> }[];
};

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const TOP_KEYS = [
  "$schema", "name", "optimizer", "options", "params", "groups", "schedule", "clip", "guard", "grads", "seed", "steps",
  "snapshots", "stateAt", "devices", "dtypes", "reference", "tolerance",
];
/** More steps than any parity run needs; a typo like 1e9 is refused instead of running for hours. */
const MAX_STEPS = 1_000_000;
const MAX_ELEMENTS = 1 << 28;

/** torch.optim's family: cuoptim's float32 element-wise kernels give torch's bits. */
export const TORCH_FAMILY = ["Adam", "AdamW", "SGD", "RMSprop", "RAdam", "NAdam", "Adamax", "Adagrad", "Adadelta", "Rprop", "ASGD"];
const EIGHT_BIT = ["Adam8bit", "AdamW8bit", "Lion8bit", "AdEMAMix8bit"];

/** The generator `--live` runs for an optimizer when the case names none. */
export function defaultReference(optimizer: string): ReferenceName | null {
  if (TORCH_FAMILY.includes(optimizer)) return "torch";
  if (EIGHT_BIT.includes(optimizer)) return "bitsandbytes";
  if (optimizer === "Adafactor") return "transformers";
  if (optimizer === "AdamWScheduleFree" || optimizer === "SGDScheduleFree") return "schedulefree";
  return null;
}

/**
 * The default tolerance of an optimizer family (README, "Parity harness", justifies each):
 * torch.optim's family is bit-exact, except that clipping allows 1e-5 relative (torch sums the
 * norm in float32, cuoptim in double, so the clip coefficient may differ by an ulp, and that
 * difference is carried by every later step); 8-bit optimizers allow 1e-3 relative (a moment one
 * quantization code apart moves an update by up to 1/127 of it); other references (transformers'
 * Adafactor, schedulefree) run the same math in another order of float32 operations: 1e-5.
 */
export function defaultTolerance(c: { optimizer: string; clip?: unknown }): Required<Tolerance> {
  if (EIGHT_BIT.includes(c.optimizer)) return { ulp: 0, rtol: 1e-3, atol: 1e-6 };
  if (TORCH_FAMILY.includes(c.optimizer) && !c.clip) return { ulp: 0, rtol: 0, atol: 0 };
  return { ulp: 0, rtol: 1e-5, atol: 1e-7 };
}

const bad = (path: string, what: string): never => fail("ERR_PARITY", `${path}: ${what}`);

function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) bad(path, `expected an object, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

function onlyKeys(o: Record<string, unknown>, path: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) bad(`${path}.${k}`, `unknown field (known: ${keys.join(", ")})`);
}

function int(v: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) bad(path, `expected a whole number in [${min}, ${max}], got ${describe(v)}`);
  return v as number;
}

function positive(v: unknown, path: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) bad(path, `expected a finite number > 0, got ${describe(v)}`);
  return v as number;
}

function str(v: unknown, path: string, pattern?: RegExp): string {
  if (typeof v !== "string" || (pattern && !pattern.test(v))) bad(path, `expected ${pattern ? `a name matching ${pattern}` : "a string"}, got ${describe(v)}`);
  return v as string;
}

function list<T>(v: unknown, path: string, each: (x: unknown, p: string) => T, { nonEmpty = false } = {}): T[] {
  if (!Array.isArray(v)) bad(path, `expected a list, got ${describe(v)}`);
  const a = v as unknown[];
  if (nonEmpty && a.length === 0) bad(path, "expected a non-empty list");
  return a.map((x, i) => each(x, `${path}[${i}]`));
}

function oneOf<T extends string | number>(v: unknown, path: string, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) bad(path, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${describe(v)}`);
  return v as T;
}

function steps(v: unknown, path: string, last: number): number[] {
  const s = list(v, path, (x, p) => int(x, p, 1, last));
  if (new Set(s).size !== s.length) bad(path, "a step is listed twice");
  return [...s].sort((a, b) => a - b);
}

/** A JSON-safe deep copy (plain data only), so nothing the caller holds is read twice or kept. */
function plain(v: unknown, path: string): unknown {
  try {
    return JSON.parse(JSON.stringify(v)) as unknown;
  } catch (e) {
    return bad(path, `not plain JSON data (${(e as Error).message})`);
  }
}

/** Checks a parsed case (a JSON value) and returns it with its defaults filled in. */
export function checkCase(input: unknown): NormalizedCase {
  const c = obj(plain(input, "case"), "case");
  onlyKeys(c, "case", TOP_KEYS);
  const name = str(c.name, "case.name", NAME);
  const optimizer = str(c.optimizer, "case.optimizer");
  const options = obj(c.options ?? {}, "case.options");
  const params = list(c.params, "case.params", checkParam, { nonEmpty: true });
  const names = params.map((p) => p.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) bad(`case.params[${i}].name`, `${JSON.stringify(n)} is used by params[${names.indexOf(n)}] too`);
  });
  const stepCount = int(c.steps, "case.steps", 1, MAX_STEPS);
  params.forEach((p, i) => p.absentAt && steps(p.absentAt, `case.params[${i}].absentAt`, stepCount));
  const groups = c.groups === undefined ? [{ params: names, options: {} }] : list(c.groups, "case.groups", (g, p) => checkGroup(g, p, names), { nonEmpty: true });
  const seen = new Map<string, string>();
  groups.forEach((g, gi) =>
    g.params.forEach((n, pi) => {
      const where = `case.groups[${gi}].params[${pi}]`;
      if (seen.has(n)) bad(where, `${JSON.stringify(n)} is already in ${seen.get(n)}`);
      seen.set(n, where);
    }),
  );
  const snapshots = steps(c.snapshots, "case.snapshots", stepCount);
  if (snapshots.length === 0) bad("case.snapshots", "expected at least one step");
  const stateAt = c.stateAt === undefined ? snapshots : steps(c.stateAt, "case.stateAt", stepCount);
  stateAt.forEach((s, i) => snapshots.includes(s) || bad(`case.stateAt[${i}]`, `step ${s} is not a snapshot step`));
  const grads = checkGrads(c.grads, params, stepCount);
  const dtypes = c.dtypes === undefined ? (["float32"] as ParityDType[]) : list(c.dtypes, "case.dtypes", (d, p) => oneOf(d, p, DTYPES), { nonEmpty: true });
  const devices: Device[] = c.devices === undefined ? ["cpu"] : list(c.devices, "case.devices", (d, p) => oneOf(d, p, DEVICES), { nonEmpty: true });
  const reference = c.reference === undefined ? defaultReference(optimizer) : oneOf(c.reference, "case.reference", REFERENCES);
  const clip = c.clip == null ? null : checkClip(c.clip);
  const schedule = c.schedule == null ? null : checkSchedule(c.schedule, "case.schedule");
  const guard = c.guard === undefined ? (grads.inject ?? []).length > 0 : c.guard;
  if (typeof guard !== "boolean") bad("case.guard", `expected true or false, got ${describe(guard)}`);
  const tolerance = { ...defaultTolerance({ optimizer, clip }), ...checkTolerance(c.tolerance) };
  return {
    name,
    optimizer,
    options,
    params,
    groups,
    schedule,
    clip,
    guard: guard as boolean,
    grads,
    seed: int(c.seed, "case.seed", 0, 0xffffffff),
    steps: stepCount,
    snapshots,
    stateAt,
    devices,
    dtypes,
    reference: reference as ReferenceName,
    tolerance,
  };
}

function checkParam(v: unknown, path: string): ParityParam {
  const p = obj(v, path);
  onlyKeys(p, path, ["name", "shape", "initScale", "gradScale", "absentAt"]);
  const shape = list(p.shape, `${path}.shape`, (d, q) => int(d, q, 1));
  const numel = shape.reduce((a, b) => a * b, 1);
  if (numel > MAX_ELEMENTS) bad(`${path}.shape`, `${numel} elements, more than a parity case's limit of ${MAX_ELEMENTS}`);
  const out: ParityParam = { name: str(p.name, `${path}.name`, NAME), shape };
  if (p.initScale !== undefined) out.initScale = positive(p.initScale, `${path}.initScale`);
  if (p.gradScale !== undefined) out.gradScale = positive(p.gradScale, `${path}.gradScale`);
  if (p.absentAt !== undefined) out.absentAt = list(p.absentAt, `${path}.absentAt`, (s, q) => int(s, q, 1));
  return out;
}

function checkGroup(v: unknown, path: string, names: string[]): { params: string[]; options: Record<string, unknown> } {
  const g = obj(v, path);
  onlyKeys(g, path, ["params", "options"]);
  const params = list(g.params, `${path}.params`, (n, p) => {
    if (!names.includes(n as string)) bad(p, `${describe(n)} is not a param of the case (params: ${names.join(", ")})`);
    return n as string;
  }, { nonEmpty: true });
  return { params, options: obj(g.options ?? {}, `${path}.options`) };
}

function checkGrads(v: unknown, params: ParityParam[], stepCount: number): GradSource {
  const g = obj(v, "case.grads");
  const source = oneOf(g.source, "case.grads.source", ["synthetic", "file"] as const);
  onlyKeys(g, "case.grads", source === "synthetic" ? ["source", "seed", "inject"] : ["source", "path", "inject"]);
  const inject = g.inject === undefined ? [] : list(g.inject, "case.grads.inject", (x, p) => checkInject(x, p, params, stepCount));
  if (source === "synthetic") return { source, seed: int(g.seed, "case.grads.seed", 0, 0xffffffff), inject };
  return { source, path: str(g.path, "case.grads.path"), inject };
}

function checkInject(v: unknown, path: string, params: ParityParam[], stepCount: number): InjectedValue {
  const x = obj(v, path);
  onlyKeys(x, path, ["param", "step", "index", "value"]);
  const param = params.find((p) => p.name === x.param) ?? bad(`${path}.param`, `${describe(x.param)} is not a param of the case`);
  const numel = param.shape.reduce((a, b) => a * b, 1);
  return {
    param: param.name,
    step: int(x.step, `${path}.step`, 1, stepCount),
    index: int(x.index, `${path}.index`, 0, numel - 1),
    value: oneOf(x.value, `${path}.value`, ["nan", "inf", "-inf"] as const),
  };
}

function checkClip(v: unknown): { maxNorm: number; normType: 2 | "inf" } {
  const c = obj(v, "case.clip");
  onlyKeys(c, "case.clip", ["maxNorm", "normType"]);
  const normType: 2 | "inf" = c.normType === undefined ? 2 : oneOf<2 | "inf">(c.normType, "case.clip.normType", [2, "inf"]);
  return { maxNorm: positive(c.maxNorm, "case.clip.maxNorm"), normType };
}

export const TORCH_SCHEDULES = [
  "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
  "CyclicLR", "OneCycleLR",
];
export const LLM_SCHEDULES = ["warmupCosine", "warmupLinear", "constantWithWarmup", "inverseSqrt", "cosineWithRestarts", "polynomial", "wsd"];
const COMPOSED = ["SequentialLR", "ChainedScheduler"];
const NOT_SCHEDULABLE: Record<string, string> = {
  LambdaLR: "its lr_lambda is a function, which a JSON case cannot hold (use an LLM schedule by name)",
  MultiplicativeLR: "its lr_lambda is a function, which a JSON case cannot hold",
  ReduceLROnPlateau: "it needs a validation metric, and a parity case has no loss",
};

function checkSchedule(v: unknown, path: string): ScheduleSpec {
  const s = obj(v, path);
  onlyKeys(s, path, ["name", "options"]);
  const name = str(s.name, `${path}.name`);
  if (name in NOT_SCHEDULABLE) bad(`${path}.name`, `${name} is not supported by the harness: ${NOT_SCHEDULABLE[name]}`);
  if (![...TORCH_SCHEDULES, ...LLM_SCHEDULES, ...COMPOSED].includes(name)) {
    bad(`${path}.name`, `unknown schedule ${JSON.stringify(name)} (known: ${[...TORCH_SCHEDULES, ...COMPOSED, ...LLM_SCHEDULES].join(", ")})`);
  }
  const options = obj(s.options ?? {}, `${path}.options`);
  if (COMPOSED.includes(name)) options.schedulers = list(options.schedulers, `${path}.options.schedulers`, checkSchedule, { nonEmpty: true });
  return { name, options };
}

function checkTolerance(v: unknown): Tolerance {
  if (v === undefined) return {};
  const t = obj(v, "case.tolerance");
  onlyKeys(t, "case.tolerance", ["ulp", "rtol", "atol"]);
  const out: Tolerance = {};
  for (const k of ["ulp", "rtol", "atol"] as const) {
    if (t[k] === undefined) continue;
    const x = t[k];
    if (typeof x !== "number" || !Number.isFinite(x) || x < 0) bad(`case.tolerance.${k}`, `expected a finite number >= 0, got ${describe(x)}`);
    out[k] = x as number;
  }
  return out;
}

/**
 * The fields that decide a trajectory's numbers: a reference must have been made from the same
 * ones. The dtypes are not among them: a case may replay some of its reference's dtypes.
 */
export function trajectoryKey(c: NormalizedCase): Record<string, unknown> {
  const { name: _n, devices: _d, reference: _r, tolerance: _t, dtypes: _dt, ...rest } = c;
  const grads = rest.grads.source === "file" ? { ...rest.grads, path: "(a file)" } : rest.grads;
  return { ...rest, grads };
}
