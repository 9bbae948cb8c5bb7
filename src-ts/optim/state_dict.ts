// src-ts/optim/state_dict.ts — checking the per-param entries of a state dict before
// loadStateDict (optimizer.ts) changes anything: canonical indices, step counts, every state
// tensor's type, length and values, every host scalar, and nothing else.
import type { Tensor } from "../tensor.js";
import { formatShape, isHalf, tensor } from "../tensor.js";
import type { StateSpec } from "./types.js";

/** Steps beyond this could not be counted exactly (and the native step rejects them). */
const MAX_STEP = Number.MAX_SAFE_INTEGER;

/**
 * State fields that are sums or averages of squares, maxima of magnitudes, or block maxima, by
 * the names the optimizers give them (tfjs's included: v, rms, accumulator, accumGrad): a
 * negative value there is corrupt, and its square root NaN.
 */
const NON_NEGATIVE_STATE = /(Sq|SqRow|SqCol|Var|Inf)$|^(sum|squareAvg|absmax\d+|expAvgRes(Row|Col)|v|rms|accumulator|accumGrad)$/;

export interface StagedState {
  step: number;
  values: Record<string, Float32Array | Uint8Array>;
  scalars: Record<string, number>;
}

/**
 * Every entry of `state` (keyed by param index) checked against its param's spec and the host
 * scalars; `fault` throws with the message.
 */
export function stageState(
  state: object,
  params: readonly Tensor[],
  specOf: (id: number) => StateSpec,
  scalarSpec: Record<string, number>,
  fault: (message: string) => never,
): Map<Tensor, StagedState> {
  const staged = new Map<Tensor, StagedState>();
  for (const [key, entry] of Object.entries(state) as [string, Record<string, unknown>][]) {
    // Canonical decimal only: "01", "1e0" and "0x1" are not index 1.
    const id = /^(0|[1-9][0-9]*)$/.test(key) ? Number(key) : -1;
    if (id < 0 || id >= params.length) fault(`state: key ${JSON.stringify(key)} is not a param index below ${params.length}`);
    const spec = specOf(id);
    if (typeof entry !== "object" || entry === null) fault(`state[${id}]: expected an object`);
    const step = entry.step;
    if (typeof step !== "number" || !Number.isInteger(step) || step < 0 || step >= MAX_STEP) {
      fault(`state[${id}].step: expected a whole number in [0, 2^53 - 1), got ${String(step)}`);
    }
    const values: Record<string, Float32Array | Uint8Array> = {};
    for (const [name, field] of Object.entries(spec)) {
      const v = entry[name];
      // A master weight may be left out: it then starts from the param (loadStateDict).
      if (v === undefined && field.fromParam) continue;
      const numel = field.shape.reduce((a, b) => a * b, 1);
      const ctor = field.dtype === "uint8" ? Uint8Array : Float32Array;
      if (!(v instanceof ctor)) fault(`state[${id}].${name}: expected a ${ctor.name} (${field.dtype}), got ${v === undefined ? "nothing" : (v as object).constructor?.name ?? typeof v}`);
      if (v.length !== numel) fault(`state[${id}].${name}: expected ${numel} values (shape ${formatShape(field.shape)}), got ${v.length}`);
      if (v instanceof Float32Array) {
        const nonNegative = NON_NEGATIVE_STATE.test(name);
        const at = v.findIndex((x) => !Number.isFinite(x) || (nonNegative && x < 0));
        if (at >= 0) fault(`state[${id}].${name}[${at}]: expected a finite${nonNegative ? ", non-negative" : ""} value, got ${v[at]}`);
        // 16-bit state is saved as its widened values: anything else would be rounded on load.
        if (isHalf(field.dtype)) {
          const back = tensor(v, [v.length], { device: "cpu", dtype: field.dtype });
          const exact = back.toArray();
          back.free();
          const lost = exact.findIndex((x, i) => !Object.is(x, v[i]));
          if (lost >= 0) fault(`state[${id}].${name}[${lost}]: expected a ${field.dtype} value (this state is kept in the param's dtype), got ${v[lost]}`);
        }
      }
      values[name] = v;
    }
    const scalars: Record<string, number> = {};
    for (const name of Object.keys(scalarSpec)) {
      const v = entry[name];
      if (typeof v !== "number" || !Number.isFinite(v)) fault(`state[${id}].${name}: expected a finite number, got ${v === undefined ? "nothing" : String(v)}`);
      scalars[name] = v;
    }
    for (const name of Object.keys(entry)) {
      if (name !== "step" && !(name in spec) && !(name in scalarSpec)) fault(`state[${id}].${name}: not part of this optimizer's state`);
    }
    staged.set(params[id]!, { step, values, scalars });
  }
  return staged;
}
