// src-ts/checkpoint/state_tree.ts — moves a state dict (JSON with typed arrays inside) to and from
// a checkpoint: every typed array becomes a named tensor of the file and its place in the JSON a
// {"$tensor": name} reference; numbers JSON cannot hold (±Infinity, NaN: e.g. a plateau
// scheduler's initial best) become {"$number": "Infinity"}.
import { fail } from "../errors.js";

export interface TreeTensor {
  name: string;
  data: Float32Array | Uint16Array | Uint8Array;
  shape: number[];
  /** For 16-bit data (raw bits): which format ("BF16" or "F16"). */
  half?: "BF16" | "F16";
}

/**
 * The JSON form of `value`, collecting its typed arrays into `out` under prefix + their path;
 * shapeOf(path) gives a tensor's shape where known (flat otherwise).
 */
export function encodeTree(value: unknown, prefix: string, out: TreeTensor[], shapeOf: (path: string[]) => readonly number[] | undefined = () => undefined, path: string[] = []): unknown {
  if (value instanceof Float32Array || value instanceof Uint8Array) {
    const name = [prefix, ...path].join(".");
    const shape = shapeOf(path);
    const numel = shape?.reduce((a, b) => a * b, 1);
    out.push({ name, data: value, shape: shape && numel === value.length ? [...shape] : [value.length] });
    return { $tensor: name };
  }
  if (typeof value === "number") return Number.isFinite(value) ? value : { $number: String(value) };
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map((v, i) => encodeTree(v, prefix, out, shapeOf, [...path, String(i)]));
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) o[k] = encodeTree(v, prefix, out, shapeOf, [...path, k]);
    }
    return o;
  }
  return fail("ERR_INVALID_ARGUMENT", `${[prefix, ...path].join(".")}: cannot be stored in a checkpoint (${typeof value})`);
}

/** Rebuilds a state dict from its JSON form; `tensor(name)` supplies (and checks) each array. */
export function decodeTree(json: unknown, tensor: (name: string) => Float32Array | Uint8Array): unknown {
  if (Array.isArray(json)) return json.map((v) => decodeTree(v, tensor));
  if (typeof json === "object" && json !== null) {
    const o = json as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === "$tensor" && typeof o.$tensor === "string") return tensor(o.$tensor);
    if (keys.length === 1 && keys[0] === "$number" && ["Infinity", "-Infinity", "NaN"].includes(o.$number as string)) return Number(o.$number);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = decodeTree(v, tensor);
    return out;
  }
  return json;
}

/** The tensor names a JSON form references. */
export function referencedTensors(json: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(json)) for (const v of json) referencedTensors(v, out);
  else if (typeof json === "object" && json !== null) {
    const o = json as Record<string, unknown>;
    if (typeof o.$tensor === "string" && Object.keys(o).length === 1) out.add(o.$tensor);
    else for (const v of Object.values(o)) referencedTensors(v, out);
  }
  return out;
}

/** Checks that `meta` is plain JSON (null, booleans, finite numbers, strings, arrays, plain objects). */
export function checkPlainJson(value: unknown, where: string, seen: Set<object> = new Set()): void {
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) fail("ERR_INVALID_ARGUMENT", `${where}: expected JSON, got ${value}`);
    return;
  }
  if (typeof value === "object") {
    if (seen.has(value)) fail("ERR_INVALID_ARGUMENT", `${where}: expected JSON, got a cyclic structure`);
    seen.add(value);
    if (Array.isArray(value)) value.forEach((v, i) => checkPlainJson(v, `${where}[${i}]`, seen));
    else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
      for (const [k, v] of Object.entries(value)) checkPlainJson(v, `${where}.${k}`, seen);
    } else fail("ERR_INVALID_ARGUMENT", `${where}: expected JSON, got a ${value.constructor?.name ?? "non-plain object"}`);
    seen.delete(value);
    return;
  }
  fail("ERR_INVALID_ARGUMENT", `${where}: expected JSON, got ${typeof value}`);
}
