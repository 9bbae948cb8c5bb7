// test/helpers/compare.ts — element-wise comparison with a stated tolerance, and bitwise equality.
import * as assert from "uvu/assert";

export interface ErrorReport {
  /** max |a - b| / max(|b|, floor) over all elements */
  maxRel: number;
  /** where it happened */
  index: number;
  actual: number;
  expected: number;
}

/**
 * Relative error with a floor on the denominator: values whose magnitude is below `floor` are
 * compared absolutely against rtol * floor (a param crossing zero has no meaningful relative error).
 */
export function relError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor: number): ErrorReport {
  assert.is(actual.length, expected.length, "length");
  let worst: ErrorReport = { maxRel: 0, index: -1, actual: 0, expected: 0 };
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, b = expected[i]!;
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (Number.isNaN(a) !== Number.isNaN(b)) return { maxRel: Infinity, index: i, actual: a, expected: b };
      continue;
    }
    const rel = a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(b), floor);
    if (rel > worst.maxRel) worst = { maxRel: rel, index: i, actual: a, expected: b };
  }
  return worst;
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, floor: number, what: string): ErrorReport {
  const r = relError(actual, expected, floor);
  if (!(r.maxRel <= rtol)) {
    assert.unreachable(`${what}: max relative error ${r.maxRel.toExponential(3)} > ${rtol} at [${r.index}]: got ${r.actual}, expected ${r.expected}`);
  }
  return r;
}

/** Root mean square of the values: the scale of a tensor, for floors relative to it. */
export function rms(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]! * values[i]!;
  return values.length ? Math.sqrt(s / values.length) : 0;
}

/** Same bits, element by element (so -0 != +0 and NaN payloads count). */
export function assertBitwiseEqual(a: Float32Array | Uint8Array | Float64Array, b: Float32Array | Uint8Array | Float64Array, what: string): void {
  assert.is(a.length, b.length, `${what}: length`);
  const ua = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const ub = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) {
      const e = Math.floor(i / a.BYTES_PER_ELEMENT);
      assert.unreachable(`${what}: element ${e} differs: ${a[e]} vs ${b[e]}`);
    }
  }
}
