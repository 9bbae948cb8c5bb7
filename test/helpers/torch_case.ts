// test/helpers/torch_case.ts — replays a torch.optim fixture case with a cuoptim optimizer.
import * as assert from "uvu/assert";
import * as cuoptim from "../../src-ts/index.js";
import type { Device, Optimizer, Tensor } from "../../src-ts/index.js";
import { assertClose } from "./compare.js";
import { decodeF32 } from "./fixtures.js";
import { gradAt, initParam } from "./synth.js";

export interface TorchCase {
  source: string;
  name: string;
  optimizer: string;
  seed: number;
  steps: number;
  snapshotAt: number[];
  tensors: {
    shape: number[];
    gradScale: number;
    initScale?: number;
    absentAt?: number[];
    /** non-finite gradient elements: at `step`, element `index` becomes `value` */
    inject?: { step: number; index: number; value: "nan" | "inf" | "-inf" }[];
  }[];
  groups: { params: number[]; options: Record<string, unknown> }[];
  /** before this step, every group's lr is multiplied by factor (as a scheduler would) */
  lrChange?: { step: number; factor: number };
  /** Sophia: updateHessian() after the steps where step % every == every - 1, with synth grads (streams 500 + i) */
  hessian?: { every: number; scale: number };
  /** the optimizer is wrapped in Lookahead with these options */
  lookahead?: { k: number; alpha: number };
  /** Lookahead cases: the final slow weights */
  slowWeights?: string[];
  /** Schedule-Free cases: the params after eval() at the end, and after the train() that follows */
  evalParams?: string[];
  trainParams?: string[];
  snapshots: Record<string, string[]>;
  finalState: ({ step: number } & Record<string, string | number>)[];
}

export interface Replay {
  params: Tensor[];
  /** the optimizer (the inner one, for Lookahead cases) */
  optimizer: Optimizer<object>;
  lookahead: cuoptim.Lookahead<object> | null;
  /** params after each snapshot step */
  snapshots: Map<number, Float32Array[]>;
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Runs the case's steps on `device`, recording the params at the snapshot steps. */
export function replay(c: TorchCase, device: Device, upTo = c.steps): Replay {
  const params = c.tensors.map((t, i) => cuoptim.tensor(initParam(c.seed, i, numel(t.shape), t.initScale ?? 1), t.shape, { device }));
  const grads = c.tensors.map((t) => cuoptim.zeros(t.shape, { device }));
  const Ctor = (cuoptim as unknown as Record<string, new (p: unknown, o?: unknown) => Optimizer<object>>)[c.optimizer];
  if (!Ctor) throw new Error(`no optimizer ${c.optimizer}`);
  const optimizer = new Ctor(c.groups.map((g) => ({ params: g.params.map((i) => params[i]!), ...g.options })));
  const lookahead = c.lookahead ? new cuoptim.Lookahead(optimizer, c.lookahead) : null;
  const snapshots = new Map<number, Float32Array[]>();
  for (let step = 1; step <= upTo; step++) {
    if (c.lrChange?.step === step) for (const g of optimizer.paramGroups as unknown as { lr: number }[]) g.lr *= c.lrChange.factor;
    c.tensors.forEach((t, i) => {
      if (t.absentAt?.includes(step)) {
        params[i]!.grad = null;
      } else {
        const g = gradAt(c.seed, i, step, numel(t.shape), t.gradScale);
        for (const inj of t.inject ?? []) if (inj.step === step) g[inj.index] = { nan: NaN, inf: Infinity, "-inf": -Infinity }[inj.value];
        grads[i]!.set(g);
        params[i]!.grad = grads[i]!;
      }
    });
    (lookahead ?? optimizer).step();
    if (c.hessian && step % c.hessian.every === c.hessian.every - 1) {
      c.tensors.forEach((t, i) => {
        grads[i]!.set(gradAt(c.seed, 500 + i, step, numel(t.shape), c.hessian!.scale));
        params[i]!.grad = grads[i]!;
      });
      (optimizer as unknown as { updateHessian(): void }).updateHessian();
    }
    if (c.snapshotAt.includes(step)) snapshots.set(step, params.map((p) => p.toArray()));
  }
  return { params, optimizer, lookahead, snapshots };
}

export function expectedSnapshot(c: TorchCase, step: number): Float32Array[] {
  return c.snapshots[String(step)]!.map(decodeF32);
}

type ParamState = NonNullable<ReturnType<Optimizer<object>["state"]["get"]>>;
/** Checks one final-state entry of a param against the fixture's value (base64 f32/u8 or a number). */
export type StateCheck = (state: ParamState, key: string, want: string | number, what: string) => void;

/** A StateCheck for f32 tensors: `rtol` relative to max(|expected|, floorOf(expected)). */
export const closeF32State =
  (rtol: number, floorOf: (expected: Float32Array) => number): StateCheck =>
  (state, key, want, what) => {
    const expected = decodeF32(want as string);
    assertClose(state.tensors[key]!.toArray() as Float32Array, expected, rtol, floorOf(expected), what);
  };

/**
 * Compares a replay with its fixture: the params at every snapshot step to `params.rtol` (floor
 * `params.floor`), then each param's step count and every other final-state entry through `check`.
 */
export function assertReplayMatches(c: TorchCase, r: Replay, params: { rtol: number; floor: number }, check: StateCheck): void {
  for (const step of c.snapshotAt) {
    expectedSnapshot(c, step).forEach((e, i) => assertClose(r.snapshots.get(step)![i]!, e, params.rtol, params.floor, `step ${step} param ${i}`));
  }
  c.finalState.forEach((s, i) => {
    const state = r.optimizer.state.get(r.params[i]!);
    assert.is(state?.step ?? 0, s.step, `param ${i} step count`);
    for (const [k, v] of Object.entries(s)) if (k !== "step") check(state!, k, v, `param ${i} ${k}`);
  });
}

/** Frees a replay's params and its optimizer (the Lookahead wrapper, when there is one). */
export function freeReplay(r: Replay): void {
  for (const p of r.params) p.free();
  (r.lookahead ?? r.optimizer).free();
}
