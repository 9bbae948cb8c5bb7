// src-ts/optim/run.ts — running one of the addon's element-wise ops over a batch of update items,
// and putting the user's path to a param into the errors native calls raise about it.
import { CuoptimError, fail } from "../errors.js";
import { elementwiseOpInfo, native, type ElementwiseOp, type NativeTensor, type PreparedStepHandle } from "../native.js";
import { isHalf } from "../tensor.js";
import type { StepContext, UpdateItem } from "./types.js";

/**
 * Runs one of the addon's element-wise optimizers over a batch: its state lists are the
 * param state's tensors of the op's state names (or of `stateNames`, for state saved under
 * other names), or else the item's scratch tensors of that name, null where neither has one; `options` are its native options (gradScale is
 * added here); `hostScalar` names a per-param host scalar the op advances (NAdam), or, with
 * `hostValues`, one it is given afresh each step and stores (LARS's trust ratios); `hostValues`
 * alone are per-param inputs the op does not return (Schedule-Free's averaging weights).
 */
export function runElementwise(
  op: ElementwiseOp,
  options: Record<string, number | boolean>,
  items: UpdateItem[],
  ctx: StepContext,
  { stateNames = elementwiseOpInfo(op).states, hostScalar, hostValues }: { stateNames?: readonly string[]; hostScalar?: string; hostValues?: readonly number[] } = {},
): void {
  // 16-bit params: their masters (when the optimizer keeps them) as the trailing list, and the
  // stochastic-rounding key inputs (src-native/ops.cc).
  // (An optimizer stepping float32 working copies passes the masters as the params themselves.)
  const masters = items[0]?.state.tensors.master && isHalf(items[0].param.dtype) ? items.map((it) => it.state.tensors.master!.native) : null;
  const lists = (): (NativeTensor[] | null)[] => [
    items.map((it) => it.param.native),
    elementwiseOpInfo(op).readsGrad ? items.map((it) => it.grad.native) : null,
    ...stateNames.map((k) => {
      const of = (it: UpdateItem) => it.state.tensors[k] ?? it.scratch[k];
      return items[0] && of(items[0]) ? items.map((it) => of(it)!.native) : null;
    }),
    ...(masters ? [masters] : []),
  ];
  const nativeOptions = { ...options, gradScale: ctx.gradScale };
  const host = hostValues ? [...hostValues] : hostScalar === undefined ? undefined : items.map((it) => it.state.scalars[hostScalar]!);
  const storage = storageOptions(items, ctx);
  const capturable = ctx.capturable === true && op === "adam";
  const prepared = preparedFor(op, stateNames, items, lists, nativeOptions, capturable);
  if (runMode !== "step" && !prepared?.capturable) fail("ERR_INTERNAL", `a captured step reached ${op} without capturable prepared lists`);
  if (runMode === "header") {
    labelled(items, () => native.capturableHeader(op, prepared!.handle, nativeOptions));
    return;
  }
  let after: number[] | undefined;
  try {
    after = labelled(items, () => {
      if (!prepared) return native.optimizerStep(op, lists(), Float64Array.from(items, (it) => it.state.step), Uint8Array.from(items, (it) => (it.fresh ? 1 : 0)), nativeOptions, host, storage);
      for (let i = 0; i < items.length; i++) {
        prepared.steps[i] = items[i]!.state.step;
        prepared.fresh[i] = items[i]!.fresh ? 1 : 0;
      }
      // A capturable step's options go to its device record first (not while capturing: a
      // replay writes them before the graph runs).
      if (prepared.capturable && runMode === "step") native.capturableHeader(op, prepared.handle, nativeOptions);
      return native.preparedStep(op, prepared.handle, prepared.steps, prepared.fresh, nativeOptions, host, storage);
    });
  } catch (e) {
    // A capturable record may have advanced its step counts: the next step prepares it afresh
    // from the host's.
    if (prepared) releasePrepared([items]);
    throw e;
  }
  // The op ran: only now does the host scalar advance (a failed step leaves it as it was).
  if (hostScalar !== undefined) items.forEach((it, i) => (it.state.scalars[hostScalar] = after![i]!));
}

/**
 * What runElementwise does with a batch: step it ("step"); enqueue a capturable step while a
 * CUDA graph records it, without writing its options ("capture"); or only write a capturable
 * step's options to its device record, before a graph replays it ("header").
 */
export type RunMode = "step" | "capture" | "header";
let runMode: RunMode = "step";

/** Runs `fn` with runElementwise in `mode` (captureStep, CapturedStep.replay). */
export function withRunMode<T>(mode: RunMode, fn: () => T): T {
  const before = runMode;
  runMode = mode;
  try {
    return fn();
  } finally {
    runMode = before;
  }
}

interface PreparedLists {
  handle: PreparedStepHandle;
  steps: Float64Array;
  fresh: Uint8Array;
  capturable: boolean;
}

/** Per batch seen before (the same items array: a kept step plan, prepared.ts), per op and state names. */
const seen = new WeakMap<readonly UpdateItem[], Map<string, PreparedLists | null>>();

/** Whether every batch has capturable prepared lists (so a graph can record its step). */
export function preparedCapturably(batches: readonly (readonly UpdateItem[])[]): boolean {
  return batches.every((items) => [...(seen.get(items)?.values() ?? [])].some((p) => p?.capturable === true));
}

/** Releases the prepared lists of batches (their device records too): a batch that steps again passes its lists afresh. */
export function releasePrepared(batches: readonly (readonly UpdateItem[])[]): void {
  for (const items of batches) {
    for (const p of seen.get(items)?.values() ?? []) if (p) native.releasePrepared(p.handle);
    seen.delete(items);
  }
}

/**
 * The native lists of a batch that steps again (the second time the same items array comes,
 * its lists are prepared; from then on a step reads no tensor list), or null to pass the lists.
 * Capturable lists start their device step counts from the host's, before this step.
 */
function preparedFor(
  op: ElementwiseOp,
  stateNames: readonly string[],
  items: readonly UpdateItem[],
  lists: () => (NativeTensor[] | null)[],
  options: Record<string, number | boolean>,
  capturable: boolean,
): PreparedLists | null {
  let byOp = seen.get(items);
  if (!byOp) seen.set(items, (byOp = new Map()));
  const key = `${op}:${stateNames.join(",")}${capturable ? ":capturable" : ""}`;
  const entry = byOp.get(key);
  if (entry !== undefined) return entry;
  if (byOp.has(`${key}?`)) {
    const done = capturable ? Float64Array.from(items, (it) => it.state.step - 1) : undefined;
    const handle = labelled(items, () => native.prepareStep(op, lists(), options, done));
    const prepared = { handle, steps: new Float64Array(items.length), fresh: new Uint8Array(items.length), capturable };
    byOp.set(key, prepared);
    return prepared;
  }
  byOp.set(`${key}?`, null);
  return null;
}

/** The native steps' `storage` argument: stochastic rounding's seed and each param's id, when the step rounds so. */
export function storageOptions(items: readonly UpdateItem[], ctx: StepContext): { stochasticRounding: boolean; seed: number; tensorIds: Uint32Array } | undefined {
  const sr = ctx.stochastic;
  return sr ? { stochasticRounding: true, seed: sr.seed, tensorIds: Uint32Array.from(items, (it) => sr.idOf(it.param)) } : undefined;
}

/**
 * Runs a native call over `items` (its lists in items' order) and puts the user's path into
 * an error that names a position in one of its lists: "grads[3]: ..." becomes
 * "paramGroups[1].params[0].grad: ...".
 */
export function labelled<T>(items: readonly UpdateItem[], call: () => T): T {
  try {
    return call();
  } catch (e) {
    const m = e instanceof CuoptimError ? /^(\w+)\[(\d+)\]([\s\S]*)$/.exec(e.message) : null;
    const item = m ? items[Number(m[2])] : undefined;
    if (!m || !item) throw e;
    const path = m[1] === "params" ? item.where : m[1] === "grads" ? `${item.where}.grad` : `${item.where} (state ${m[1]})`;
    throw new CuoptimError((e as CuoptimError).code, `${path}${m[3]}`);
  }
}
