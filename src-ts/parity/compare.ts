// src-ts/parity/compare.ts — compares a run's trajectory tensors with a reference's: per tensor
// (a param, or one state entry of a param) over every snapshot, the largest distance in units in
// the last place, the largest relative and absolute errors, how many snapshots are bit-identical,
// and the first step and element beyond the tolerance.
//
// Distances are in the tensor's own dtype: 16-bit values are compared as 16-bit numbers, so one
// bfloat16 ulp is 1. An element is within tolerance when its distance is at most `ulp`, or
// |a - b| <= atol + rtol * |b| (b the reference). Two NaNs are equal; a NaN against a number, or
// infinities that differ, are beyond any tolerance.
import type { ParityDType, Tolerance } from "./case.js";
import { parseTensorName, type TrajectoryTensor } from "./trajectory.js";

/** The first element beyond the tolerance: its step, index, cuoptim's value and the reference's. */
export interface Divergence {
  step: number;
  /** the element, row-major */
  index: number;
  got: number;
  want: number;
}

/** One snapshot of one tensor compared. */
export interface SnapshotReport {
  /** the step after which it was recorded (0: the initial values) */
  step: number;
  identical: boolean;
  maxUlp: number;
  maxAbs: number;
  maxRel: number;
  /** within tolerance */
  pass: boolean;
}

/** One param, or one state entry of a param, compared over every snapshot of one run. */
export interface TensorReport {
  dtype: ParityDType;
  param: string;
  /** null for the param itself, else the state entry (expAvg, step, ...) */
  key: string | null;
  /** snapshots compared */
  snapshots: number;
  /** of which bit-identical */
  identical: number;
  maxUlp: number;
  maxAbs: number;
  maxRel: number;
  /** the first element beyond the tolerance, at the earliest step */
  firstDivergence: Divergence | null;
  /** a reference tensor this run does not have (names the first step) */
  missingAt: number | null;
  pass: boolean;
  /** each snapshot, in step order */
  perSnapshot: SnapshotReport[];
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function bf16ToFloat(bits: number): number {
  u32[0] = bits << 16;
  return f32[0]!;
}

function f16ToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** A value's position on the number line in ulps (sign-magnitude bits as a signed count). */
function ordinal(bits: number, signBit: number): number {
  return bits & signBit ? -(bits & (signBit - 1)) : bits;
}

interface Elements {
  length: number;
  value(i: number): number;
  bits(i: number): number;
  signBit: number;
}

function elements(t: TrajectoryTensor): Elements {
  const d = t.data;
  if (t.dtype === "F32") {
    const bits = new Uint32Array(d.buffer, d.byteOffset, d.length);
    return { length: d.length, value: (i) => d[i]!, bits: (i) => bits[i]!, signBit: 0x80000000 };
  }
  if (t.dtype === "U8") return { length: d.length, value: (i) => d[i]!, bits: (i) => d[i]!, signBit: 0x100 };
  const toFloat = t.dtype === "BF16" ? bf16ToFloat : f16ToFloat;
  return { length: d.length, value: (i) => toFloat(d[i]!), bits: (i) => d[i]!, signBit: 0x8000 };
}

/** Compares two tensors element by element. */
export function compareTensors(got: TrajectoryTensor, want: TrajectoryTensor, tol: Required<Tolerance>, step: number) {
  const a = elements(got);
  const b = elements(want);
  let maxUlp = 0;
  let maxAbs = 0;
  let maxRel = 0;
  let identical = got.dtype === want.dtype && a.length === b.length;
  let first: Divergence | null = null;
  if (got.dtype !== want.dtype || a.length !== b.length) {
    return { identical: false, maxUlp: Infinity, maxAbs: Infinity, maxRel: Infinity, first: { step, index: 0, got: NaN, want: NaN } as Divergence };
  }
  for (let i = 0; i < b.length; i++) {
    const ab = a.bits(i);
    const bb = b.bits(i);
    if (ab === bb) continue;
    identical = false;
    const x = a.value(i);
    const y = b.value(i);
    let ulp: number;
    let abs: number;
    let rel: number;
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (Number.isNaN(x) || Number.isNaN(y) || !Number.isFinite(x) || !Number.isFinite(y)) {
      ulp = abs = rel = x === y ? 0 : Infinity;
    } else {
      ulp = Math.abs(ordinal(ab, a.signBit) - ordinal(bb, b.signBit));
      abs = Math.abs(x - y);
      rel = y === 0 ? (abs === 0 ? 0 : Infinity) : abs / Math.abs(y);
    }
    maxUlp = Math.max(maxUlp, ulp);
    maxAbs = Math.max(maxAbs, abs);
    maxRel = Math.max(maxRel, rel);
    const within = ulp <= tol.ulp || abs <= tol.atol + tol.rtol * Math.abs(y);
    if (!within && first === null) first = { step, index: i, got: x, want: y };
  }
  return { identical, maxUlp, maxAbs, maxRel, first };
}

/**
 * Compares every tensor of the reference (init, snapshots, state) with the run's, grouped per
 * param or state entry. Tensors the run has and the reference lacks (state a reference does not
 * record, such as 8-bit moments) are not compared.
 */
export function compareTrajectories(got: Map<string, TrajectoryTensor>, want: Map<string, TrajectoryTensor>, dtype: ParityDType, tol: Required<Tolerance>): TensorReport[] {
  const rows = new Map<string, TensorReport>();
  const names = [...want.keys()]
    .map((n) => ({ n, p: parseTensorName(n)! }))
    .filter((x) => x.p && x.p.dtype === dtype)
    .sort((x, y) => x.p.step - y.p.step || x.n.localeCompare(y.n));
  for (const { n, p } of names) {
    const id = `${p.param}\u0000${p.key ?? ""}`;
    let row = rows.get(id);
    if (!row) {
      row = { dtype, param: p.param, key: p.key, snapshots: 0, identical: 0, maxUlp: 0, maxAbs: 0, maxRel: 0, firstDivergence: null, missingAt: null, pass: true, perSnapshot: [] };
      rows.set(id, row);
    }
    const mine = got.get(n);
    if (!mine) {
      row.missingAt ??= p.step;
      row.pass = false;
      continue;
    }
    const r = compareTensors(mine, want.get(n)!, tol, p.step);
    row.perSnapshot.push({ step: p.step, identical: r.identical, maxUlp: r.maxUlp, maxAbs: r.maxAbs, maxRel: r.maxRel, pass: r.first === null });
    row.snapshots++;
    if (r.identical) row.identical++;
    row.maxUlp = Math.max(row.maxUlp, r.maxUlp);
    row.maxAbs = Math.max(row.maxAbs, r.maxAbs);
    row.maxRel = Math.max(row.maxRel, r.maxRel);
    if (r.first && !row.firstDivergence) {
      row.firstDivergence = r.first;
      row.pass = false;
    }
  }
  return [...rows.values()];
}
