// src-ts/parity/index.ts — cuoptim/parity: record, replay and compare optimizer trajectories
// against a reference (torch.optim, bitsandbytes, transformers, schedulefree, or any trajectory
// file in the format of trajectory.ts). The README's "Parity harness" section shows the loop;
// `npx cuoptim-parity` (cli.ts) is the same API from the command line.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { deviceStatus, type Device } from "../device.js";
import { fail } from "../errors.js";
import { checkCase, trajectoryKey, type NormalizedCase, type ParityCase, type ReferenceName } from "./case.js";
import { compareTrajectories } from "./compare.js";
import { cuoptimVersion, generateReference } from "./reference.js";
import { type ParityReport, type RunResult } from "./report.js";
import { buildOptimizer, runCase } from "./run.js";
import { readTrajectory, writeTrajectory, type Trajectory, type TrajectoryTensor } from "./trajectory.js";
import { zeros } from "../tensor.js";

export { checkCase, defaultReference, defaultTolerance, DTYPES, REFERENCES, TORCH_FAMILY } from "./case.js";
export type { GradSource, InjectedValue, NormalizedCase, ParityCase, ParityDType, ParityParam, ReferenceName, ScheduleSpec, Tolerance } from "./case.js";
export { compareTensors, compareTrajectories, type Divergence, type SnapshotReport, type TensorReport } from "./compare.js";
export { findPython, generatorsDir } from "./reference.js";
export { formatReport, junitReport, type ParityReport, type RunResult } from "./report.js";
export { parseTensorName, readTrajectory, TRAJECTORY_FORMAT, writeTrajectory, type Trajectory, type TrajectoryTensor } from "./trajectory.js";
export { runCli } from "./cli.js";

/** A case: a path to its JSON file, the case itself (a relative grads path is then relative to the working directory), or one loadCase() returned. */
export type CaseInput = string | ParityCase | LoadedCase;

/** A checked case and the directory its relative paths are relative to. */
export interface LoadedCase {
  case: NormalizedCase;
  /** the directory a relative grads path is relative to */
  dir: string;
}

/** Reads, checks and normalizes a case; a dry run builds its optimizer and schedule, so a bad option is an error here, before anything runs or is written. */
export function loadCase(input: CaseInput): LoadedCase {
  if (isLoaded(input)) return input;
  let raw: unknown = input;
  let dir = process.cwd();
  if (typeof input === "string") {
    let text: string;
    try {
      text = readFileSync(input, "utf8");
    } catch (e) {
      return fail("ERR_IO", `${input}: cannot read the case: ${(e as Error).message}`);
    }
    try {
      raw = JSON.parse(text);
    } catch (e) {
      return fail("ERR_PARITY", `${input}: not JSON: ${(e as Error).message}`);
    }
    dir = dirname(resolve(input));
  }
  const c = checkCase(raw);
  for (const dtype of c.dtypes) {
    const placeholders = c.params.map((p) => zeros(p.shape, { device: "cpu", dtype }));
    try {
      const { optimizer } = buildOptimizer(c, placeholders, dtype);
      optimizer.free();
    } finally {
      for (const t of placeholders) t.free();
    }
  }
  const result = { case: c, dir };
  loaded.add(result);
  return result;
}

const loaded = new WeakSet<LoadedCase>();
const isLoaded = (x: CaseInput): x is LoadedCase => typeof x === "object" && x !== null && loaded.has(x as LoadedCase);

/** Runs the case on cuoptim on one device (default: the case's first), in each of its dtypes; writes the trajectory to `out` when given. */
export function record(input: CaseInput, options: { device?: Device; out?: string } = {}): Trajectory {
  const { case: c, dir } = loadCase(input);
  const device = options.device ?? c.devices[0]!;
  const tensors = new Map<string, TrajectoryTensor>();
  for (const dtype of c.dtypes) for (const [k, v] of runCase(c, device, dtype, dir)) tensors.set(k, v);
  const t: Trajectory = { case: c, source: `cuoptim ${cuoptimVersion()} on ${device}`, tensors };
  if (options.out) writeTrajectory(options.out, t);
  return t;
}

/** Runs the case's reference generator (or `ref`) with Python; writes the trajectory to `out` when given. */
export function reference(input: CaseInput, options: { ref?: ReferenceName; python?: string; out?: string } = {}): Trajectory {
  const { case: c, dir } = loadCase(input);
  const ref = options.ref ?? c.reference;
  if (!ref) fail("ERR_PARITY", `case.reference: no reference generator is known for ${c.optimizer}; name one (torch, bitsandbytes, transformers, schedulefree) or replay against a trajectory file`);
  const t = generateReference(c, ref, { caseDir: dir, python: options.python });
  if (options.out) writeTrajectory(options.out, t);
  return t;
}

/** The first field where two cases differ in what decides a trajectory's numbers, or null. */
function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return JSON.stringify(a) === JSON.stringify(b) ? null : path;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const k of keys) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`);
    if (d) return d;
  }
  return null;
}

/**
 * Runs the case on cuoptim on each device (default: the case's devices) in each of its dtypes and
 * compares every tensor with the reference trajectory (a path, or one in memory). A device not
 * available here is reported as skipped, with the reason.
 */
export function replay(input: CaseInput, ref: string | Trajectory, options: { devices?: Device[] } = {}): ParityReport {
  const { case: c, dir } = loadCase(input);
  const reference = typeof ref === "string" ? readTrajectory(ref) : ref;
  const where = typeof ref === "string" ? ref : "the reference";
  const diff = firstDifference(trajectoryKey(c), trajectoryKey(reference.case), "case");
  if (diff) fail("ERR_PARITY", `${where} was made from another case: ${diff} differs (${reference.source})`);
  const runs: RunResult[] = [];
  for (const device of options.devices ?? c.devices) {
    const info = deviceStatus(device);
    for (const dtype of c.dtypes) {
      if (!info.available) {
        runs.push({ device, dtype, status: "skipped", reason: info.reason ?? `${device} is not available`, tensors: [], pass: true });
        continue;
      }
      const tensors = compareTrajectories(runCase(c, device, dtype, dir), reference.tensors, dtype, c.tolerance);
      if (tensors.length === 0) fail("ERR_PARITY", `${where} holds no ${dtype} tensors (its case's dtypes: ${reference.case.dtypes.join(", ")})`);
      runs.push({ device, dtype, status: "compared", tensors, pass: tensors.every((t) => t.pass) });
    }
  }
  return { case: c.name, optimizer: c.optimizer, reference: reference.source, tolerance: c.tolerance, runs, pass: runs.every((r) => r.pass) };
}
