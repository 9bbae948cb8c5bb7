// src-ts/optim/groups.ts — a param group's options: the optimizer's defaults overridden by the
// caller's (or a state dict's) values, every key known, every value checked.
import { CuoptimError, fail } from "../errors.js";
import { checkNumber } from "../validate.js";
import type { GroupExtras } from "./types.js";

/**
 * defaults + input, checked by `checkOptions`; from a state dict (fromDict) every option must be
 * present, and a failure is an ERR_STATE_DICT.
 */
export function mergeGroupOptions<O extends object>(
  defaults: Readonly<O>,
  input: Partial<O> & GroupExtras,
  where: string,
  checkOptions: (options: O, where: string) => void,
  fromDict = false,
): O & GroupExtras {
  try {
    const known = new Set([...Object.keys(defaults), "name", "initialLr"]);
    for (const k of Object.keys(input)) {
      if (!known.has(k)) fail("ERR_INVALID_ARGUMENT", `${where}.${k}: unknown option (known: ${[...known].join(", ")})`);
    }
    if (fromDict) {
      for (const k of Object.keys(defaults)) if (!(k in input)) fail("ERR_INVALID_ARGUMENT", `${where}.${k}: missing`);
    }
    const merged = { ...structuredClone(defaults), ...structuredClone(input) } as O & GroupExtras;
    if (merged.name !== undefined && typeof merged.name !== "string") fail("ERR_INVALID_ARGUMENT", `${where}.name: expected a string`);
    if (merged.initialLr !== undefined) checkNumber(merged.initialLr, `${where}.initialLr`, { min: 0 });
    checkOptions(merged, where);
    return merged;
  } catch (e) {
    if (fromDict && e instanceof CuoptimError) fail("ERR_STATE_DICT", `loadStateDict: ${e.message}`);
    throw e;
  }
}

/** `v` frozen all the way down (an optimizer's defaults: editing them must reach nothing). */
export function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object") {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
