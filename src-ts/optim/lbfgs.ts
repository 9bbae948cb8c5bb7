// src-ts/optim/lbfgs.ts — L-BFGS (Liu & Nocedal 1989), torch.optim.LBFGS's algorithm, options and
// defaults (torch 1.13; heavily inspired by minFunc): each step(closure) runs up to maxIter
// iterations of the two-loop recursion over the last historySize curvature pairs, with a fixed
// step (lr) or torch's strong-Wolfe line search, calling closure() to recompute the loss and the
// gradients wherever torch does.
//
// As torch: one param group (no per-group options), every param of it in one vector (here a list
// of the params' own shapes, so the vector operations are the addon's multi-tensor kernels),
// float32 params. The scalars torch keeps as float32 0-dim tensors (y·s, 1/(y·s), H₀, the
// recursion's coefficients, the first step size) are rounded to float32 here too; the line search
// works in double. The dot products are float32 fused multiply-add chains per param
// (kernels/math/gemm.cuh) summed in double, where torch calls BLAS sdot, so results agree with
// torch to rounding, not bit for bit (test/lbfgs.test.ts).
//
// step(closure) is all-or-nothing for the params and the optimizer state: if closure throws,
// returns something other than a finite number, or anything else fails, the params are put back
// as they were when step began and the state is left unchanged (the grads are what the closure
// last wrote). closure must be synchronous: () => number.
import { fail } from "../errors.js";
import { native } from "../native.js";
import { checkTensor, stateTensor, type Tensor } from "../tensor.js";
import { checkNumber, checkOneOf, describe } from "../validate.js";
import { castInto } from "./precision.js";
import type { ParamGroupInput } from "./types.js";

/** Options of LBFGS (torch.optim.LBFGS). */
export interface LBFGSOptions {
  /** the step size (1) */
  lr: number;
  /** iterations per step() (20) */
  maxIter: number;
  /** closure evaluations per step() (null: maxIter·5/4) */
  maxEval: number | null;
  /** stop when max |g| falls to this (1e-7) */
  toleranceGrad: number;
  /** stop when the step or the loss changes by less than this (1e-9) */
  toleranceChange: number;
  /** curvature pairs kept (100) */
  historySize: number;
  /** null (a fixed step, lr) or "strong_wolfe" */
  lineSearchFn: "strong_wolfe" | null;
}

const LBFGS_DEFAULTS: LBFGSOptions = { lr: 1, maxIter: 20, maxEval: null, toleranceGrad: 1e-7, toleranceChange: 1e-9, historySize: 100, lineSearchFn: null };

type Vec = Tensor[];

/** What a step carries over to the next (torch's state of the first param). */
interface LbfgsState {
  funcEvals: number;
  nIter: number;
  d: Vec | null;
  t: number;
  oldDirs: Vec[];
  oldStps: Vec[];
  ro: number[];
  hDiag: number;
  prevFlatGrad: Vec | null;
  prevLoss: number;
}

/** The state dict: torch's entries, flat vectors as the params' values concatenated in order. */
export interface LBFGSStateDict {
  state: Record<number, { funcEvals: number; nIter: number; d?: Float32Array; t?: number; oldDirs?: Float32Array[]; oldStps?: Float32Array[]; ro?: number[]; hDiag?: number; prevFlatGrad?: Float32Array; prevLoss?: number }>;
  paramGroups: (LBFGSOptions & { params: number[] })[];
}

const f32 = Math.fround;

/** L-BFGS (torch.optim.LBFGS, after minFunc): step(closure) runs up to maxIter quasi-Newton iterations, optionally with a strong-Wolfe line search; all-or-nothing if the closure throws. */
export class LBFGS {
  readonly paramGroups: [LBFGSOptions & { params: Tensor[] }];
  #state: LbfgsState = LBFGS.emptyState();
  #freed = false;

  constructor(params: Tensor[] | ParamGroupInput<LBFGSOptions>[], options: Partial<LBFGSOptions> = {}) {
    if (typeof options !== "object" || options === null) fail("ERR_INVALID_ARGUMENT", "options: expected an object");
    if (!Array.isArray(params) || params.length === 0) fail("ERR_INVALID_ARGUMENT", "params: expected a non-empty array of tensors");
    let list: Tensor[];
    let groupOptions: Partial<LBFGSOptions> = {};
    if (params.every((p) => typeof p === "object" && p !== null && "params" in p)) {
      if (params.length !== 1) fail("ERR_INVALID_ARGUMENT", "params: LBFGS doesn't support per-parameter options (parameter groups): give one group or a list of tensors");
      const { params: ps, ...rest } = params[0] as ParamGroupInput<LBFGSOptions>;
      list = ps;
      groupOptions = rest as Partial<LBFGSOptions>;
    } else {
      list = params as Tensor[];
    }
    const merged = { ...LBFGS_DEFAULTS, ...options, ...groupOptions };
    for (const k of Object.keys({ ...options, ...groupOptions })) if (!(k in LBFGS_DEFAULTS)) fail("ERR_INVALID_ARGUMENT", `options.${k}: unknown option (known: ${Object.keys(LBFGS_DEFAULTS).join(", ")})`);
    LBFGS.checkOptions(merged, "options");
    const seen = new Set<Tensor>();
    list.forEach((p, i) => {
      checkTensor(p, `params[${i}]`);
      p.assertLive(`params[${i}]`);
      if (p.dtype !== "float32") fail("ERR_DTYPE", `params[${i}]: LBFGS takes float32 params, got ${p.dtype}`);
      if (p.device !== list[0]!.device) fail("ERR_DEVICE", `params[${i}]: expected a tensor on ${list[0]!.device} (every param shares one device), got one on ${p.device}`);
      if (seen.has(p)) fail("ERR_INVALID_ARGUMENT", `params[${i}]: this tensor is already a param of this optimizer; a param may appear only once`);
      seen.add(p);
    });
    this.paramGroups = [{ ...merged, params: [...list] }];
  }

  private static emptyState(): LbfgsState {
    return { funcEvals: 0, nIter: 0, d: null, t: 0, oldDirs: [], oldStps: [], ro: [], hDiag: 1, prevFlatGrad: null, prevLoss: 0 };
  }

  private static checkOptions(o: LBFGSOptions, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    checkNumber(o.maxIter, `${where}.maxIter`, { min: 1, integer: true });
    if (o.maxEval !== null) checkNumber(o.maxEval, `${where}.maxEval`, { min: 1, integer: true });
    checkNumber(o.toleranceGrad, `${where}.toleranceGrad`, { min: 0 });
    checkNumber(o.toleranceChange, `${where}.toleranceChange`, { min: 0 });
    checkNumber(o.historySize, `${where}.historySize`, { min: 1, integer: true });
    if (o.lineSearchFn !== null) checkOneOf(o.lineSearchFn, `${where}.lineSearchFn`, ["strong_wolfe"]);
  }

  params(): Tensor[] {
    return [...this.paramGroups[0].params];
  }

  /** Clears gradients: zero-fills them, or with setToNone drops them. */
  zeroGrad({ setToNone = false }: { setToNone?: boolean } = {}): void {
    for (const p of this.params()) {
      if (!p.grad) continue;
      if (setToNone) p.grad = null;
      else p.grad.zero();
    }
  }

  /**
   * Runs one L-BFGS step: closure() must recompute the loss from the params' current values,
   * write the gradients into their .grad, and return the loss as a number. Returns the loss of
   * the first evaluation, as torch does.
   */
  step(closure: () => number): number {
    if (this.#freed) fail("ERR_FREED", "step: this optimizer was freed; make a new one");
    if (typeof closure !== "function") fail("ERR_INVALID_ARGUMENT", `step: expected a closure that recomputes the loss and the grads, got ${describe(closure)}`);
    const o = { ...this.paramGroups[0] };
    LBFGS.checkOptions(o, "paramGroups[0]");
    const params = this.params();
    params.forEach((p, i) => p.assertLive(`paramGroups[0].params[${i}]`));
    const run = new StepRun(params, closure, o);
    try {
      const before = run.clone(params);
      try {
        const { loss, state } = run.execute(this.#state);
        // Committed: the new state replaces the old; tensors the new one no longer holds are freed.
        const kept = new Set(stateTensors(state));
        for (const t of stateTensors(this.#state)) if (!kept.has(t)) t.free();
        this.#state = state;
        run.keep(kept);
        return loss;
      } catch (e) {
        run.copy(params, before);
        throw e;
      }
    } finally {
      run.release();
    }
  }

  stateDict(): LBFGSStateDict {
    if (this.#freed) fail("ERR_FREED", "stateDict: this optimizer was freed; make a new one");
    const s = this.#state;
    const flat = (v: Vec): Float32Array => {
      const out = new Float32Array(v.reduce((n, t) => n + t.numel, 0));
      let at = 0;
      for (const t of v) {
        out.set(t.toArray() as Float32Array, at);
        at += t.numel;
      }
      return out;
    };
    const entry: LBFGSStateDict["state"][number] = { funcEvals: s.funcEvals, nIter: s.nIter };
    if (s.d) {
      Object.assign(entry, { d: flat(s.d), t: s.t, oldDirs: s.oldDirs.map(flat), oldStps: s.oldStps.map(flat), ro: [...s.ro], hDiag: s.hDiag, prevFlatGrad: flat(s.prevFlatGrad!), prevLoss: s.prevLoss });
    }
    const { params, ...options } = this.paramGroups[0];
    return { state: { 0: entry }, paramGroups: [{ ...structuredClone(options), params: params.map((_, i) => i) }] };
  }

  /** Replaces options and state from a stateDict(); validated completely before anything changes. */
  loadStateDict(dict: LBFGSStateDict): void {
    if (this.#freed) fail("ERR_FREED", "loadStateDict: this optimizer was freed; make a new one");
    const fault = (m: string): never => fail("ERR_STATE_DICT", `loadStateDict: ${m}`);
    if (typeof dict !== "object" || dict === null || !Array.isArray(dict.paramGroups) || typeof dict.state !== "object" || dict.state === null) fault("expected {state, paramGroups}");
    if (dict.paramGroups.length !== 1) fault(`paramGroups: expected 1 group, got ${dict.paramGroups.length}`);
    const { params: ids, ...options } = dict.paramGroups[0]!;
    const params = this.params();
    if (!Array.isArray(ids) || ids.length !== params.length || ids.some((id, i) => id !== i)) fault(`paramGroups[0].params: expected [0, ..., ${params.length - 1}]`);
    for (const k of Object.keys(LBFGS_DEFAULTS)) if (!(k in options)) fault(`paramGroups[0].${k}: missing`);
    for (const k of Object.keys(options)) if (!(k in LBFGS_DEFAULTS)) fault(`paramGroups[0].${k}: unknown option`);
    try {
      LBFGS.checkOptions(options as LBFGSOptions, "paramGroups[0]");
    } catch (e) {
      fault((e as Error).message);
    }
    const keys = Object.keys(dict.state);
    if (keys.some((k) => k !== "0")) fault("state: expected only the entry 0 (the first param's, as torch)");
    const e = dict.state[0];
    const total = params.reduce((n, p) => n + p.numel, 0);
    const vector = (v: unknown, what: string): Float32Array => (v instanceof Float32Array && v.length === total ? v : fault(`state[0].${what}: expected a Float32Array of ${total} values`));
    const number = (v: unknown, what: string): number => (typeof v === "number" && !Number.isNaN(v) ? v : fault(`state[0].${what}: expected a number`));
    let staged: { funcEvals: number; nIter: number; d?: Float32Array; t?: number; oldDirs?: Float32Array[]; oldStps?: Float32Array[]; ro?: number[]; hDiag?: number; prevFlatGrad?: Float32Array; prevLoss?: number } = { funcEvals: 0, nIter: 0 };
    if (e !== undefined) {
      if (typeof e !== "object" || e === null) fault("state[0]: expected an object");
      staged = { funcEvals: number(e.funcEvals, "funcEvals"), nIter: number(e.nIter, "nIter") };
      if (e.d !== undefined) {
        if (!Array.isArray(e.oldDirs) || !Array.isArray(e.oldStps) || !Array.isArray(e.ro) || e.oldDirs.length !== e.oldStps.length || e.ro.length !== e.oldDirs.length) fault("state[0]: oldDirs, oldStps and ro must be arrays of one length");
        staged = {
          ...staged,
          d: vector(e.d, "d"),
          t: number(e.t, "t"),
          oldDirs: (e.oldDirs as unknown[]).map((v, i) => vector(v, `oldDirs[${i}]`)),
          oldStps: (e.oldStps as unknown[]).map((v, i) => vector(v, `oldStps[${i}]`)),
          ro: (e.ro as unknown[]).map((v, i) => number(v, `ro[${i}]`)),
          hDiag: number(e.hDiag, "hDiag"),
          prevFlatGrad: vector(e.prevFlatGrad, "prevFlatGrad"),
          prevLoss: number(e.prevLoss, "prevLoss"),
        };
      }
    }
    // Everything checked: build the new state's tensors, then swap.
    const made: Tensor[] = [];
    const split = (flat: Float32Array): Vec => {
      let at = 0;
      return params.map((p) => {
        const t = stateTensor(p.device, p.shape) as Tensor;
        made.push(t);
        t.set(flat.subarray(at, at + p.numel));
        at += p.numel;
        return t;
      });
    };
    let next: LbfgsState;
    try {
      next = { ...LBFGS.emptyState(), funcEvals: staged.funcEvals, nIter: staged.nIter };
      if (staged.d) {
        next = { ...next, d: split(staged.d), t: staged.t!, oldDirs: staged.oldDirs!.map(split), oldStps: staged.oldStps!.map(split), ro: staged.ro!, hDiag: staged.hDiag!, prevFlatGrad: split(staged.prevFlatGrad!), prevLoss: staged.prevLoss! };
      }
    } catch (err) {
      for (const t of made) t.free();
      throw err;
    }
    for (const t of stateTensors(this.#state)) t.free();
    this.#state = next;
    Object.assign(this.paramGroups[0], structuredClone(options));
  }

  /** Throws ERR_STATE_DICT unless loadStateDict(dict) would succeed; changes nothing. */
  checkStateDict(dict: LBFGSStateDict): void {
    const saved = this.#state;
    const options = { ...this.paramGroups[0] };
    this.#state = LBFGS.emptyState();
    try {
      this.loadStateDict(dict);
      for (const t of stateTensors(this.#state)) t.free();
    } finally {
      this.#state = saved;
      Object.assign(this.paramGroups[0], options);
    }
  }

  /** Frees the state tensors; step() and the state-dict calls then throw ERR_FREED. */
  free(): void {
    for (const t of stateTensors(this.#state)) t.free();
    this.#state = LBFGS.emptyState();
    this.#freed = true;
  }
}

function stateTensors(s: LbfgsState): Tensor[] {
  return [...(s.d ?? []), ...(s.prevFlatGrad ?? []), ...s.oldDirs.flat(), ...s.oldStps.flat()];
}

/** One step's work: its temporaries (freed at the end unless kept in the new state) and vector ops. */
class StepRun {
  readonly #made: Tensor[] = [];
  #kept = new Set<Tensor>();
  readonly #dots: Tensor;

  constructor(
    private readonly params: Tensor[],
    private readonly closure: () => number,
    private readonly o: LBFGSOptions,
  ) {
    this.#dots = stateTensor(params[0]!.device, [params.length]) as Tensor;
  }

  vec(): Vec {
    return this.params.map((p) => {
      const t = stateTensor(p.device, p.shape) as Tensor;
      this.#made.push(t);
      return t;
    });
  }

  clone(src: Vec): Vec {
    const v = this.vec();
    this.copy(v, src);
    return v;
  }

  copy(dst: Vec, src: Vec, scale = 1): void {
    castInto(dst, src, scale);
  }

  /** y ← y + alpha·x (alpha rounded to float32, as torch's add_ takes it). */
  axpy(y: Vec, x: Vec, alpha: number): void {
    native.optimizerStep("axpy", [y.map((t) => t.native), x.map((t) => t.native)], new Float64Array(y.length).fill(1), new Uint8Array(y.length), { gradScale: alpha });
  }

  /** Σ over params of a·b, each a float32 fused multiply-add chain, summed in double, rounded to float32. */
  dot(a: Vec, b: Vec): number {
    a.forEach((x, i) => {
      const k = x.numel;
      native.gemm(x.native, b[i]!.native, this.#dots.native, { m: 1, n: 1, k, aOffset: 0, lda: k, transA: false, bOffset: 0, ldb: 1, transB: false, cOffset: i, ldc: 1, alpha: 1, beta: 0 });
    });
    let sum = 0;
    for (const v of this.#dots.toArray() as Float32Array) sum += v;
    return f32(sum);
  }

  absMax(v: Vec): number {
    return f32(native.gradNorm(v.map((t) => t.native), Infinity));
  }

  absSum(v: Vec): number {
    let sum = 0;
    for (const t of v) for (const x of t.toArray() as Float32Array) sum += Math.abs(x);
    return f32(sum);
  }

  /** Calls the closure; checks its loss and every param's grad; copies the grads into a new vector. */
  evaluate(): { loss: number; grad: Vec } {
    const loss = this.closure();
    if (typeof loss !== "number" || !Number.isFinite(loss)) fail("ERR_RANGE", `step: the closure returned ${describe(loss)}; expected the loss as a finite number (the params are restored)`);
    this.params.forEach((p, i) => {
      const where = `paramGroups[0].params[${i}]`;
      p.assertLive(where);
      if (!p.grad) fail("ERR_INVALID_ARGUMENT", `${where}.grad: the closure left no gradient (it must compute every param's grad)`);
      checkTensor(p.grad, `${where}.grad`);
      if (p.grad.dtype !== "float32" || p.grad.numel !== p.numel || p.grad.device !== p.device) fail("ERR_SHAPE", `${where}.grad: expected a float32 tensor of the param's shape on ${p.device}`);
    });
    return { loss, grad: this.clone(this.params.map((p) => p.grad!)) };
  }

  /** torch's _directional_evaluate: loss and grad at x + t·d, params put back to x. */
  directional(x: Vec, t: number, d: Vec): { loss: number; grad: Vec } {
    this.axpy(this.params, d, t);
    const r = this.evaluate();
    this.copy(this.params, x);
    return r;
  }

  execute(prev: LbfgsState): { loss: number; state: LbfgsState } {
    const o = this.o;
    const maxEval = o.maxEval ?? Math.trunc((o.maxIter * 5) / 4);
    const state: LbfgsState = { ...prev, oldDirs: [...prev.oldDirs], oldStps: [...prev.oldStps], ro: [...prev.ro] };
    let { loss, grad: flatGrad } = this.evaluate();
    const origLoss = loss;
    let currentEvals = 1;
    state.funcEvals += 1;
    if (this.absMax(flatGrad) <= o.toleranceGrad) return { loss: origLoss, state };
    let d = state.d, t = state.t, hDiag = state.hDiag, prevFlatGrad = state.prevFlatGrad, prevLoss = state.prevLoss;
    let nIter = 0;
    while (nIter < o.maxIter) {
      nIter += 1;
      state.nIter += 1;
      if (state.nIter === 1) {
        d = this.clone(flatGrad);
        this.copy(d, flatGrad, -1);
        state.oldDirs = [];
        state.oldStps = [];
        state.ro = [];
        hDiag = 1;
      } else {
        const y = this.clone(flatGrad);
        this.axpy(y, prevFlatGrad!, -1);
        const s = this.vec();
        this.copy(s, d!, f32(t));
        const ys = this.dot(y, s);
        if (ys > 1e-10) {
          if (state.oldDirs.length === o.historySize) {
            state.oldDirs.shift();
            state.oldStps.shift();
            state.ro.shift();
          }
          state.oldDirs.push(y);
          state.oldStps.push(s);
          state.ro.push(f32(1 / ys));
          hDiag = f32(ys / this.dot(y, y));
        }
        // The two-loop recursion: q ← −g; then d = H₀·q corrected by each pair.
        const num = state.oldDirs.length;
        const al: number[] = new Array(num);
        const q = this.vec();
        this.copy(q, flatGrad, -1);
        for (let i = num - 1; i >= 0; i--) {
          al[i] = f32(this.dot(state.oldStps[i]!, q) * state.ro[i]!);
          this.axpy(q, state.oldDirs[i]!, -al[i]!);
        }
        d = this.vec();
        this.copy(d, q, hDiag);
        for (let i = 0; i < num; i++) {
          const be = f32(this.dot(state.oldDirs[i]!, d) * state.ro[i]!);
          this.axpy(d, state.oldStps[i]!, f32(al[i]! - be));
        }
      }
      prevFlatGrad = this.clone(flatGrad);
      prevLoss = loss;
      // The step size: torch's min(1, 1/Σ|g|)·lr on the very first iteration, then lr.
      if (state.nIter === 1) {
        const inv = f32(1 / this.absSum(flatGrad));
        t = 1 < inv ? o.lr : f32(inv * f32(o.lr));
      } else {
        t = o.lr;
      }
      const gtd = this.dot(flatGrad, d!);
      if (gtd > -o.toleranceChange) break;
      let lsEvals = 0;
      let optCond = false;
      if (o.lineSearchFn !== null) {
        const xInit = this.clone(this.params);
        const r = strongWolfe(this, xInit, t, d!, loss, flatGrad, gtd, o.toleranceChange);
        loss = r.loss;
        flatGrad = r.grad;
        t = r.t;
        lsEvals = r.evals;
        this.axpy(this.params, d!, t);
        optCond = this.absMax(flatGrad) <= o.toleranceGrad;
      } else {
        this.axpy(this.params, d!, t);
        if (nIter !== o.maxIter) {
          const r = this.evaluate();
          loss = r.loss;
          flatGrad = r.grad;
          optCond = this.absMax(flatGrad) <= o.toleranceGrad;
          lsEvals = 1;
        }
      }
      currentEvals += lsEvals;
      state.funcEvals += lsEvals;
      if (nIter === o.maxIter) break;
      if (currentEvals >= maxEval) break;
      if (optCond) break;
      if (f32(this.absMax(d!) * f32(t)) <= o.toleranceChange) break;
      if (Math.abs(loss - prevLoss) < o.toleranceChange) break;
    }
    Object.assign(state, { d, t, hDiag, prevFlatGrad, prevLoss });
    return { loss: origLoss, state };
  }

  /** The tensors of the committed state outlive the step. */
  keep(tensors: Set<Tensor>): void {
    this.#kept = tensors;
  }

  release(): void {
    for (const t of this.#made) if (!this.#kept.has(t)) t.free();
    this.#dots.free();
  }
}

/** torch's _cubic_interpolate (minimiser of the cubic through two points and their slopes). */
function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2sq = d1 * d1 - g1 * g2;
  if (d2sq >= 0) {
    const d2 = Math.sqrt(d2sq);
    const minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return Math.min(Math.max(minPos, lo), hi);
  }
  return (lo + hi) / 2;
}

/** torch's _strong_wolfe (c1 1e-4, c2 0.9, 25 evaluations at most), bracketing then zooming. */
function strongWolfe(run: StepRun, x: Vec, t0: number, d: Vec, f: number, g: Vec, gtd: number, toleranceChange: number) {
  const c1 = 1e-4, c2 = 0.9, maxLs = 25;
  let t = t0;
  const dNorm = run.absMax(d);
  let { loss: fNew, grad: gNew } = run.directional(x, t, d);
  let evals = 1;
  let gtdNew = run.dot(gNew, d);
  let tPrev = 0, fPrev = f, gPrev = g, gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [], bracketF: number[] = [], bracketG: Vec[] = [], bracketGtd: number[] = [];
  while (lsIter < maxLs) {
    if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
      [bracket, bracketF, bracketG, bracketGtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]];
      break;
    }
    if (Math.abs(gtdNew) <= -c2 * gtd) {
      [bracket, bracketF, bracketG] = [[t], [fNew], [gNew]];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      [bracket, bracketF, bracketG, bracketGtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]];
      break;
    }
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const tmp = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    [tPrev, fPrev, gPrev, gtdPrev] = [tmp, fNew, gNew, gtdNew];
    ({ loss: fNew, grad: gNew } = run.directional(x, t, d));
    evals += 1;
    gtdNew = run.dot(gNew, d);
    lsIter += 1;
  }
  if (lsIter === maxLs) [bracket, bracketF, bracketG, bracketGtd] = [[0, t], [f, fNew], [g, gNew], [gtd, gtdNew]];
  let insufProgress = false;
  let [low, high] = bracketF[0]! <= bracketF[bracketF.length - 1]! ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (Math.abs(bracket[1]! - bracket[0]!) * dNorm < toleranceChange) break;
    t = cubicInterpolate(bracket[0]!, bracketF[0]!, bracketGtd[0]!, bracket[1]!, bracketF[1]!, bracketGtd[1]!);
    const hiB = Math.max(...bracket), loB = Math.min(...bracket);
    const eps = 0.1 * (hiB - loB);
    if (Math.min(hiB - t, t - loB) < eps) {
      if (insufProgress || t >= hiB || t <= loB) {
        t = Math.abs(t - hiB) < Math.abs(t - loB) ? hiB - eps : loB + eps;
        insufProgress = false;
      } else {
        insufProgress = true;
      }
    } else {
      insufProgress = false;
    }
    ({ loss: fNew, grad: gNew } = run.directional(x, t, d));
    evals += 1;
    gtdNew = run.dot(gNew, d);
    lsIter += 1;
    if (fNew > f + c1 * t * gtd || fNew >= bracketF[low]!) {
      [bracket[high], bracketF[high], bracketG[high], bracketGtd[high]] = [t, fNew, gNew, gtdNew];
      [low, high] = bracketF[0]! <= bracketF[1]! ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) done = true;
      else if (gtdNew * (bracket[high]! - bracket[low]!) >= 0) {
        [bracket[high], bracketF[high], bracketG[high], bracketGtd[high]] = [bracket[low]!, bracketF[low]!, bracketG[low]!, bracketGtd[low]!];
      }
      [bracket[low], bracketF[low], bracketG[low], bracketGtd[low]] = [t, fNew, gNew, gtdNew];
    }
  }
  return { loss: bracketF[low]!, grad: bracketG[low]!, t: bracket[low]!, evals };
}
