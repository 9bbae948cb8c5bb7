// src-ts/parity/run.ts — runs a parity case on cuoptim, on one device in one dtype, and returns
// the run's trajectory tensors (the names of trajectory.ts). The loop is the one every reference
// generator runs (parity/python/cuoptim_parity/loop.py): gradients in the case's dtype, the
// guard and clipping fused into step(), the schedule stepped after every step, snapshots.
import { isAbsolute, join } from "node:path";
import * as cuoptim from "../index.js";
import type { Device } from "../device.js";
import { CuoptimError, fail } from "../errors.js";
import type { LRScheduler } from "../lr/scheduler.js";
import type { Optimizer } from "../optim/optimizer.js";
import { closeSync, openForReading, readHeader, readTensor } from "../checkpoint/safetensors.js";
import type { Tensor } from "../tensor.js";
import { LLM_SCHEDULES, type NormalizedCase, type ParityDType, type ScheduleSpec } from "./case.js";
import { gradAt, initParam } from "./synth.js";
import { tensorName, type TrajectoryTensor } from "./trajectory.js";

/** What a schedule needs here: step() (torch's schedulers and ChainedScheduler). */
interface Steppable {
  step(): void;
}
type OptimizerClass = new (params: unknown, options?: unknown) => Optimizer<object>;
const NOT_HERE: Record<string, string> = {
  LBFGS: "LBFGS steps with a closure that recomputes the loss, which a parity case has no way to give",
  Lookahead: "Lookahead wraps another optimizer; it is not a case's optimizer",
};
const PRECISION_OPTIONS = ["masterWeights", "stateDtype", "stochasticRounding", "seed"];
const NONFINITE = { nan: NaN, inf: Infinity, "-inf": -Infinity };

/** The cuoptim optimizer class a case names. */
export function optimizerClass(name: string): OptimizerClass {
  if (name in NOT_HERE) fail("ERR_PARITY", `case.optimizer: ${name}: ${NOT_HERE[name]}`);
  const isOptimizer = (v: unknown) => typeof v === "function" && (v as { prototype?: unknown }).prototype instanceof cuoptim.Optimizer;
  const C = (cuoptim as unknown as Record<string, unknown>)[name];
  if (!isOptimizer(C)) {
    const known = Object.entries(cuoptim).filter(([k, v]) => isOptimizer(v) && !(k in NOT_HERE)).map(([k]) => k);
    fail("ERR_PARITY", `case.optimizer: unknown optimizer ${JSON.stringify(name)} (known: ${known.join(", ")})`);
  }
  return C as OptimizerClass;
}

function buildSchedule(optimizer: Optimizer<object>, s: ScheduleSpec): Steppable {
  const o = { ...(s.options ?? {}) };
  if (LLM_SCHEDULES.includes(s.name)) return (cuoptim.lr as unknown as Record<string, (opt: unknown, o: unknown) => LRScheduler>)[s.name]!(optimizer, o);
  if (s.name === "ChainedScheduler") return new cuoptim.ChainedScheduler((o.schedulers as ScheduleSpec[]).map((x) => buildSchedule(optimizer, x) as LRScheduler));
  if (s.name === "SequentialLR") o.schedulers = (o.schedulers as ScheduleSpec[]).map((x) => buildSchedule(optimizer, x));
  const C = (cuoptim as unknown as Record<string, new (opt: unknown, o: unknown) => LRScheduler>)[s.name]!;
  return new C(optimizer, o);
}

/** The gradients (and initial values) of a case: synthetic, or read from its grads file. */
class GradSource {
  private readonly recorded: Map<string, Float32Array> | null = null;
  private readonly init = new Map<string, Float32Array>();

  constructor(private readonly c: NormalizedCase, caseDir: string) {
    if (c.grads.source !== "file") return;
    const path = isAbsolute(c.grads.path) ? c.grads.path : join(caseDir, c.grads.path);
    const fd = openForReading(path);
    try {
      const header = readHeader(fd, path);
      this.recorded = new Map();
      const shapes = new Map(c.params.map((p) => [p.name, p.shape.join(",")]));
      for (const e of header.entries.values()) {
        const m = /^(?:grad\/(\d+)|init)\/(.+)$/.exec(e.name);
        if (!m || !shapes.has(m[2]!)) fail("ERR_PARITY", `${path}: tensor "${e.name}" is not grad/<step>/<param> or init/<param> of a param of the case`);
        if (e.dtype !== "F32") fail("ERR_PARITY", `${path}: tensor "${e.name}" is ${e.dtype}, expected F32`);
        if (e.shape.join(",") !== shapes.get(m![2]!)) fail("ERR_PARITY", `${path}: tensor "${e.name}" has shape [${e.shape.join(", ")}], the param [${shapes.get(m![2]!)}]`);
        const data = readTensor(fd, header, e, path) as Float32Array;
        if (m![1] === undefined) this.init.set(m![2]!, data);
        else this.recorded.set(`${m![1]}/${m![2]}`, data);
      }
    } finally {
      closeSync(fd);
    }
  }

  initial(i: number): Float32Array {
    const p = this.c.params[i]!;
    return this.init.get(p.name)?.slice() ?? initParam(this.c.seed, i, numel(p.shape), p.initScale ?? 1);
  }

  at(step: number, i: number): Float32Array | null {
    const p = this.c.params[i]!;
    let g: Float32Array;
    if (this.recorded) {
      const r = this.recorded.get(`${step}/${p.name}`);
      if (!r) return null;
      g = r.slice();
    } else {
      if (p.absentAt?.includes(step)) return null;
      g = gradAt((this.c.grads as { seed: number }).seed, i, step, numel(p.shape), p.gradScale ?? 1);
    }
    for (const inj of this.c.grads.inject ?? []) if (inj.param === p.name && inj.step === step) g[inj.index] = NONFINITE[inj.value];
    return g;
  }
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function snapshot(t: Tensor<"float32" | "bfloat16" | "float16" | "uint8">): TrajectoryTensor {
  const dtype = t.dtype === "float32" ? "F32" : t.dtype === "bfloat16" ? "BF16" : t.dtype === "float16" ? "F16" : "U8";
  const data = dtype === "F32" || dtype === "U8" ? t.toArray() : (t.toBits() as Uint16Array);
  return { dtype, shape: [...t.shape], data };
}

const scalar = (v: number): TrajectoryTensor => ({ dtype: "F32", shape: [], data: new Float32Array([v]) });

/** The optimizer and schedule a case builds over `params` (a dry run with placeholders checks a case's options). */
export function buildOptimizer(c: NormalizedCase, params: Tensor<"float32" | "bfloat16" | "float16">[], dtype: ParityDType): { optimizer: Optimizer<object>; schedule: Steppable | null } {
  const Ctor = optimizerClass(c.optimizer);
  // The 16-bit options are for 16-bit params; a float32 run of the same case leaves them out.
  const strip = (o: Record<string, unknown>) => (dtype === "float32" ? Object.fromEntries(Object.entries(o).filter(([k]) => !PRECISION_OPTIONS.includes(k))) : o);
  const names = c.params.map((p) => p.name);
  let optimizer: Optimizer<object>;
  try {
    optimizer = new Ctor(
      c.groups.map((g) => ({ params: g.params.map((n) => params[names.indexOf(n)]!), ...strip(g.options ?? {}) })),
      strip(c.options),
    );
  } catch (e) {
    if (e instanceof CuoptimError && e.code !== "ERR_PARITY") fail("ERR_PARITY", `case: ${c.optimizer} refused the case's options: ${e.message}`);
    throw e;
  }
  let schedule: Steppable | null = null;
  try {
    schedule = c.schedule ? buildSchedule(optimizer, c.schedule) : null;
  } catch (e) {
    optimizer.free();
    if (e instanceof CuoptimError) fail("ERR_PARITY", `case.schedule: ${c.schedule!.name} refused its options: ${e.message}`);
    throw e;
  }
  return { optimizer, schedule };
}

/** Runs the case on cuoptim on `device` in `dtype`; caseDir resolves a relative grads file. */
export function runCase(c: NormalizedCase, device: Device, dtype: ParityDType, caseDir: string): Map<string, TrajectoryTensor> {
  const source = new GradSource(c, caseDir);
  const params = c.params.map((p, i) => cuoptim.tensor(source.initial(i), p.shape, { device, dtype }));
  const grads = c.params.map((p) => cuoptim.zeros(p.shape, { device, dtype }));
  const out = new Map<string, TrajectoryTensor>();
  let built: ReturnType<typeof buildOptimizer> | null = null;
  try {
    built = buildOptimizer(c, params, dtype);
    const { optimizer, schedule } = built;
    c.params.forEach((p, i) => out.set(tensorName({ dtype, step: 0, param: p.name, key: null }), snapshot(params[i]!)));
    const stepOptions = c.clip ? { maxGradNorm: c.clip.maxNorm, normType: c.clip.normType === "inf" ? Infinity : 2, skipNonFinite: c.guard } : { skipNonFinite: c.guard };
    for (let step = 1; step <= c.steps; step++) {
      c.params.forEach((_, i) => {
        const g = source.at(step, i);
        if (g === null) {
          params[i]!.grad = null;
        } else {
          grads[i]!.set(g);
          params[i]!.grad = grads[i]!;
        }
      });
      optimizer.step(stepOptions as Parameters<Optimizer<object>["step"]>[0]);
      schedule?.step();
      if (c.snapshots.includes(step)) c.params.forEach((p, i) => out.set(tensorName({ dtype, step, param: p.name, key: null }), snapshot(params[i]!)));
      if (c.stateAt.includes(step)) {
        c.params.forEach((p, i) => {
          const st = optimizer.state.get(params[i]!);
          if (!st || st.step === 0) return;
          out.set(tensorName({ dtype, step, param: p.name, key: "step" }), scalar(st.step));
          for (const [k, v] of Object.entries(st.tensors)) out.set(tensorName({ dtype, step, param: p.name, key: k }), snapshot(v));
          for (const [k, v] of Object.entries(st.scalars)) out.set(tensorName({ dtype, step, param: p.name, key: k }), scalar(v));
        });
      }
    }
  } finally {
    built?.optimizer.free();
    for (const t of [...params, ...grads]) t.free();
  }
  return out;
}
