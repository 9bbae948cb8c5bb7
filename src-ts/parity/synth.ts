// src-ts/parity/synth.ts — the deterministic synthetic tensors of parity cases: initial params and
// gradients from a seed, the same as parity/python/cuoptim_parity/synth.py.
//
// Same counter-based hash, same float32 rounding, so a trajectory stores only what a reference
// computed, not the inputs it was computed from. See synth.py for the derivation.

function mix(x: number): number {
  x >>>= 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** (a*b + c) mod 2^32 for 32-bit a, b and small non-negative c, without losing bits. */
function mulAdd32(a: number, b: number, c: number): number {
  return (Math.imul(a >>> 0, b >>> 0) + c) >>> 0;
}

export function uniform(seed: number, stream: number, step: number, n: number): Float32Array {
  const k = ((mulAdd32(seed, 0x9e3779b1, 0) + mulAdd32(stream, 0x85ebca77, 0) + mulAdd32(step, 0xc2b2ae3d, 0)) >>> 0);
  const key = mix(k);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let h = mix(mulAdd32(i, 0x27d4eb2f, key));
    h = mix((h ^ key) >>> 0);
    out[i] = (h >>> 8) / 8388608 - 1;
  }
  return out;
}

export function scaled(seed: number, stream: number, step: number, n: number, scale: number): Float32Array {
  const u = uniform(seed, stream, step, n);
  const s = Math.fround(scale);
  for (let i = 0; i < n; i++) u[i] = Math.fround(u[i]! * s);
  return u;
}

export const initParam = (seed: number, i: number, n: number, scale = 1): Float32Array => scaled(seed, 1000 + i, 0, n, scale);
export const gradAt = (seed: number, i: number, step: number, n: number, scale: number): Float32Array => scaled(seed, i, step, n, scale);
