// src-ts/validate.ts — option checks that name the argument and what was expected.
import { fail } from "./errors.js";

export interface NumberBounds {
  min?: number;
  /** min is excluded */
  minOpen?: boolean;
  max?: number;
  /** max is excluded */
  maxOpen?: boolean;
  integer?: boolean;
}

/** How a value is named in messages ("null", "the BigInt 1n", "an array of length 2", ...). */
export function describe(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "bigint") return `the BigInt ${v}n`;
  if (typeof v === "symbol") return "a Symbol";
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v;
}

function expectation(b: NumberBounds): string {
  const kind = b.integer ? "a whole number" : "a finite float32 number";
  const lo = b.min === undefined ? "" : `${b.minOpen ? ">" : ">="} ${b.min}`;
  const hi = b.max === undefined ? "" : `${b.maxOpen ? "<" : "<="} ${b.max}`;
  if (lo && hi) return `${kind} in ${b.minOpen ? "(" : "["}${b.min}, ${b.max}${b.maxOpen ? ")" : "]"}`;
  return [kind, lo || hi].filter(Boolean).join(" ");
}

/** The largest finite float32: every option reaches the kernels as a float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

export function checkNumber(v: unknown, name: string, bounds: NumberBounds = {}): number {
  const ok =
    typeof v === "number" &&
    Number.isFinite(v) &&
    Math.abs(v) <= FLOAT32_MAX &&
    (!bounds.integer || Number.isInteger(v)) &&
    (bounds.min === undefined || (bounds.minOpen ? v > bounds.min : v >= bounds.min)) &&
    (bounds.max === undefined || (bounds.maxOpen ? v < bounds.max : v <= bounds.max));
  if (!ok) fail(typeof v === "number" ? "ERR_RANGE" : "ERR_INVALID_ARGUMENT", `${name}: expected ${expectation(bounds)}, got ${describe(v)}`);
  return v as number;
}

/** An options argument: an object (not an array), or undefined for all defaults. */
export function optionsObject<T extends object>(v: T | undefined | null, name = "options"): T {
  if (v === undefined) return {} as T;
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail("ERR_INVALID_ARGUMENT", `${name}: expected an options object, got ${describe(v)}`);
  return v;
}

export function checkBool(v: unknown, name: string): boolean {
  if (typeof v !== "boolean") fail("ERR_INVALID_ARGUMENT", `${name}: expected a boolean, got ${describe(v)}`);
  return v;
}

/** A tuple of `count` numbers, each in [0, 1) unless bounds say otherwise. */
export function checkBetas(v: unknown, name: string, count: number, bounds: NumberBounds = { min: 0, max: 1, maxOpen: true }): number[] {
  if (!Array.isArray(v) || v.length !== count) {
    fail("ERR_INVALID_ARGUMENT", `${name}: expected an array of ${count} numbers, got ${describe(v)}`);
  }
  return v.map((b, i) => checkNumber(b, `${name}[${i}]`, bounds));
}

export function checkOneOf<T extends string>(v: unknown, name: string, allowed: readonly T[]): T {
  if (typeof v !== "string" || !allowed.includes(v as T)) {
    fail("ERR_INVALID_ARGUMENT", `${name}: expected one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${describe(v)}`);
  }
  return v as T;
}
