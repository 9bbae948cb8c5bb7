// src-ts/parity/trajectory.ts — a trajectory: one run of a parity case as a safetensors file,
// readable with the stock `safetensors` package. The metadata holds the format tag, the case (as
// JSON) and the source (which implementation, which version); the tensors are named
//
//   <dtype>/init/<param>                       the initial params
//   <dtype>/step/<n>/param/<param>             the params after step n (a snapshot step)
//   <dtype>/step/<n>/state/<param>/<key>       the state after step n (a stateAt step); `step` is the
//                                              param's step count, scalars are 0-dim F32 tensors
//
// in the run's dtype (F32, or BF16 / F16 raw bits), state in its own dtype. Synthetic gradients
// are not stored (the case's seed regenerates them); recorded ones live in the case's grads file.
import { CuoptimError, fail } from "../errors.js";
import { closeSync, openForReading, readHeader, readTensor, writeSafetensors, type SafetensorsDType } from "../checkpoint/safetensors.js";
import { checkCase, type NormalizedCase, type ParityDType } from "./case.js";

/** The metadata `format` tag of a trajectory file. */
export const TRAJECTORY_FORMAT = "cuoptim-parity-trajectory/1";

/** One tensor of a trajectory, as it is stored. */
export interface TrajectoryTensor {
  dtype: SafetensorsDType;
  shape: number[];
  /** float32 values, 16-bit raw bits, or bytes */
  data: Float32Array | Uint16Array | Uint8Array;
}

/** A run of a case: the case, what produced it, and its tensors by name. */
export interface Trajectory {
  /** the case it was made from, with its defaults */
  case: NormalizedCase;
  /** what produced it ("cuoptim 0.1.0 on cpu", "torch 1.13.0 torch.optim.AdamW ...") */
  source: string;
  tensors: Map<string, TrajectoryTensor>;
}

/** A tensor name's parts: { dtype, step (0 for init), param, key (null for the param itself) }. */
export interface TensorName {
  dtype: ParityDType;
  step: number;
  param: string;
  key: string | null;
}

const NAME = /^(float32|bfloat16|float16)\/(?:init\/([^/]+)|step\/(\d+)\/param\/([^/]+)|step\/(\d+)\/state\/([^/]+)\/([^/]+))$/;

/** A trajectory tensor name's parts, or null for a name outside the format. */
export function parseTensorName(name: string): TensorName | null {
  const m = NAME.exec(name);
  if (!m) return null;
  const dtype = m[1] as ParityDType;
  if (m[2] !== undefined) return { dtype, step: 0, param: m[2], key: null };
  if (m[3] !== undefined) return { dtype, step: Number(m[3]), param: m[4]!, key: null };
  return { dtype, step: Number(m[5]), param: m[6]!, key: m[7]! };
}

export function tensorName(n: TensorName): string {
  if (n.step === 0 && n.key === null) return `${n.dtype}/init/${n.param}`;
  return n.key === null ? `${n.dtype}/step/${n.step}/param/${n.param}` : `${n.dtype}/step/${n.step}/state/${n.param}/${n.key}`;
}

/** Writes a trajectory atomically: the path holds the old file or the whole new one. */
export function writeTrajectory(path: string, t: Trajectory): void {
  const names = [...t.tensors.keys()].sort();
  const metadata = { format: TRAJECTORY_FORMAT, case: JSON.stringify(t.case), source: t.source };
  writeSafetensors(path, names.map((name) => ({ name, ...t.tensors.get(name)! })), metadata);
}

/** Reads and checks a trajectory: a safetensors file with this format's metadata, case and tensor names. */
export function readTrajectory(path: string): Trajectory {
  const bad = (what: string): never => fail("ERR_PARITY", `${path}: ${what}`);
  const fd = openForReading(path);
  try {
    let header;
    try {
      header = readHeader(fd, path);
    } catch (e) {
      if (e instanceof CuoptimError && e.code === "ERR_CHECKPOINT") bad(e.message.replace(`${path}: `, ""));
      throw e;
    }
    const { metadata } = header;
    if (metadata.format !== TRAJECTORY_FORMAT) {
      bad(`not a cuoptim parity trajectory (metadata.format is ${metadata.format === undefined ? "missing" : JSON.stringify(metadata.format)}, expected "${TRAJECTORY_FORMAT}")`);
    }
    let parsedCase: unknown;
    try {
      parsedCase = JSON.parse(metadata.case ?? "");
    } catch {
      bad("metadata.case is not JSON");
    }
    let c: NormalizedCase;
    try {
      c = checkCase(parsedCase);
    } catch (e) {
      return bad(`the case in its metadata is not valid: ${(e as Error).message}`);
    }
    const shapes = new Map(c.params.map((p) => [p.name, p.shape]));
    const tensors = new Map<string, TrajectoryTensor>();
    for (const entry of header.entries.values()) {
      const n = parseTensorName(entry.name);
      if (!n) bad(`tensor "${entry.name}" is not a trajectory tensor name (<dtype>/init/<param>, <dtype>/step/<n>/param/<param> or <dtype>/step/<n>/state/<param>/<key>)`);
      const shape = shapes.get(n!.param) ?? bad(`tensor "${entry.name}": the case has no param "${n!.param}"`);
      if (n!.key === null && entry.shape.join(",") !== shape.join(",")) {
        bad(`tensor "${entry.name}" has shape [${entry.shape.join(", ")}], the case's param "${n!.param}" [${shape.join(", ")}]`);
      }
      tensors.set(entry.name, { dtype: entry.dtype, shape: entry.shape, data: readTensor(fd, header, entry, path) });
    }
    return { case: c!, source: metadata.source ?? "(unknown)", tensors };
  } finally {
    closeSync(fd);
  }
}
