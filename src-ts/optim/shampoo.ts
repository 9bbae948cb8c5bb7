// src-ts/optim/shampoo.ts — Shampoo (Gupta, Koren & Singer 2018, "Shampoo: Preconditioned
// Stochastic Tensor Optimization"; Anil et al. 2020, "Scalable Second Order Optimization for Deep
// Learning"): Kronecker-factored preconditioners, their inverse 4th roots every N steps by a
// coupled Newton iteration on cuoptim's matrix product (matrix_root.ts), Adam grafting, blocking.
//
// A param of two or more dims is a matrix G (R = product of the leading dims, C = the last),
// cut into blocks of at most maxPreconditionerDim rows and columns; each block b has
//   L_b <- β2·L_b + (1 − β2)·G_b G_bᵀ,   R_b <- β2·R_b + (1 − β2)·G_bᵀ G_b          (every step)
//   L̃_b = (L_b + ε|L_b|_F I)^(-1/4),    R̃_b likewise      (every preconditionFrequency steps from
//                                                           startPreconditioningStep on)
//   P_b = L̃_b G_b R̃_b
// Adam grafting (layer-wise): v <- β2·v + (1 − β2)·g², D = g / (√v/√(1 − β2^t) + graftingEps);
// the step direction is P·|D|/|P| once the roots exist, D before (and for 1-D params, which fall
// back to this diagonal preconditioner). Then, as Adam: θ <- θ(1 − γλ), m <- β1·m + (1 − β1)·d,
// θ <- θ − γ·m/(1 − β1^t). A root that does not converge keeps the previous one: the failure is
// recorded in rootFailures and reported once with process.emitWarning.
//
// Defaults: lr 1e-3, betas (0.9, 0.999), epsilon 1e-6 (relative ridge), graftingEps 1e-8,
// weightDecay 0, preconditionFrequency 20, startPreconditioningStep 20, maxPreconditionerDim
// 1024 (as PyTorch's distributed Shampoo), rootIterations 100.
import { native } from "../native.js";
import type { Tensor } from "../tensor.js";
import { checkBetas, checkBool, checkNumber } from "../validate.js";
import { inverseRoot } from "./matrix_root.js";
import { Optimizer, type CommonOptions, type ParamsInput, type StateSpec, type StepContext, type UpdateItem } from "./optimizer.js";

/** Options of Shampoo (defaults of PyTorch's distributed Shampoo). */
export interface ShampooOptions {
  /** the learning rate γ, >= 0. Default: 1e-3. */
  lr: number;
  /** [β1, β2]: the grafted momentum's and the preconditioner statistics' decays. Default: [0.9, 0.999]. */
  betas: [number, number];
  /** the ridge added to each preconditioner, relative to its largest eigenvalue. Default: 1e-6. */
  epsilon: number;
  /** ε of the diagonal (Adagrad-style) grafting. Default: 1e-8. */
  graftingEps: number;
  /** decoupled weight decay λ, >= 0. Default: 0. */
  weightDecay: number;
  /** steps between inverse-root recomputations, >= 1. Default: 20. */
  preconditionFrequency: number;
  /** steps run on the grafted diagonal preconditioner first. Default: 20. */
  startPreconditioningStep: number;
  /** a dimension larger than this falls back to the diagonal preconditioner. Default: 1024. */
  maxPreconditionerDim: number;
  /** coupled Newton iterations per inverse root. Default: 100. */
  rootIterations: number;
  /** ascend the objective instead of descending it (torch's maximize). Default: false. */
  maximize: boolean;
}

const SHAMPOO_DEFAULTS: ShampooOptions = {
  lr: 1e-3,
  betas: [0.9, 0.999],
  epsilon: 1e-6,
  graftingEps: 1e-8,
  weightDecay: 0,
  preconditionFrequency: 20,
  startPreconditioningStep: 20,
  maxPreconditionerDim: 1024,
  rootIterations: 100,
  maximize: false,
};

/** An inverse root that did not converge (Shampoo keeps the previous one). */
export interface RootFailure {
  /** the param's index in params() */
  param: number;
  block: number;
  side: "L" | "R";
  step: number;
  error: number;
}

interface Block {
  r0: number;
  rows: number;
  c0: number;
  cols: number;
}

/** [start, size] runs of at most `max` covering n. */
const split = (n: number, max: number): [number, number][] => Array.from({ length: Math.ceil(n / max) }, (_, i) => [i * max, Math.min(max, n - i * max)]);

/** Whether step t recomputes the inverse roots. */
function rootsDue(t: number, o: ShampooOptions): boolean {
  return t >= o.startPreconditioningStep && (t - o.startPreconditioningStep) % o.preconditionFrequency === 0;
}
const ROOT_WORK = [0, 1, 2, 3, 4] as const;

/** Shampoo (Gupta et al. 2018): Kronecker-factored preconditioners, grafted onto a diagonal one's step size. */
export class Shampoo extends Optimizer<ShampooOptions> {
  /** Roots that did not converge (the previous preconditioner was kept). */
  readonly rootFailures: RootFailure[] = [];
  #warned = false;

  constructor(params: ParamsInput<ShampooOptions>, options: Partial<ShampooOptions> & CommonOptions = {}) {
    super(params, SHAMPOO_DEFAULTS, options);
  }

  protected checkOptions(o: ShampooOptions, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    checkBetas(o.betas, `${where}.betas`, 2);
    checkNumber(o.epsilon, `${where}.epsilon`, { min: 0 });
    checkNumber(o.graftingEps, `${where}.graftingEps`, { min: 0 });
    checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
    checkNumber(o.preconditionFrequency, `${where}.preconditionFrequency`, { min: 1, integer: true });
    checkNumber(o.startPreconditioningStep, `${where}.startPreconditioningStep`, { min: 1, integer: true });
    checkNumber(o.maxPreconditionerDim, `${where}.maxPreconditionerDim`, { min: 1, integer: true });
    checkNumber(o.rootIterations, `${where}.rootIterations`, { min: 1, integer: true });
    checkBool(o.maximize, `${where}.maximize`);
  }

  /** The blocks of a param (none for params of fewer than two dims). */
  blocks(param: Tensor, o: ShampooOptions): Block[] {
    const s = param.shape;
    if (s.length < 2) return [];
    const cols = s[s.length - 1]!;
    const rows = param.numel / Math.max(cols, 1);
    return split(rows, o.maxPreconditionerDim).flatMap(([r0, br]) => split(cols, o.maxPreconditionerDim).map(([c0, bc]) => ({ r0, rows: br, c0, cols: bc })));
  }

  protected stateSpec(param: Tensor, o: ShampooOptions): StateSpec {
    const f = (shape: readonly number[]) => ({ dtype: "float32", shape }) as const;
    const spec: StateSpec = { expAvg: f(param.shape), expAvgSq: f(param.shape) };
    this.blocks(param, o).forEach((b, i) => {
      spec[`L${i}`] = f([b.rows, b.rows]);
      spec[`R${i}`] = f([b.cols, b.cols]);
      spec[`Linv${i}`] = f([b.rows, b.rows]);
      spec[`Rinv${i}`] = f([b.cols, b.cols]);
    });
    return spec;
  }

  /** The step's temporaries: the grafted direction, and for preconditioned params the preconditioned one and a block product each. */
  protected override scratchSpec(param: Tensor, o: ShampooOptions): StateSpec {
    const f = (shape: readonly number[]) => ({ dtype: "float32", shape }) as const;
    const spec: StateSpec = { direction: f(param.shape) };
    const blocks = this.blocks(param, o);
    if (blocks.length) spec.preconditioned = f(param.shape);
    blocks.forEach((b, i) => (spec[`product${i}`] = f([b.rows, b.cols])));
    return spec;
  }

  /** The inverse roots' temporaries: five n x n matrices per size n computed this step, shared by every block of that size. */
  protected override stepScratchSpec(batches: readonly { options: ShampooOptions; items: readonly UpdateItem[] }[]): StateSpec {
    const spec: StateSpec = {};
    for (const { options: o, items } of batches) {
      for (const it of items) {
        if (!rootsDue(it.state.step + 1, o)) continue;
        for (const b of this.blocks(it.param, o)) {
          for (const n of [b.rows, b.cols]) for (const k of ROOT_WORK) spec[`root${n}.${k}`] = { dtype: "float32", shape: [n, n] };
        }
      }
    }
    return spec;
  }

  /** rootStep: the step the current roots were computed at (0: none yet). */
  protected override scalarSpec(): Record<string, number> {
    return { rootStep: 0 };
  }

  protected applyUpdate(o: ShampooOptions, items: UpdateItem[], ctx: StepContext): void {
    const [beta1, beta2] = o.betas;
    const params = this.params();
    for (const it of items) {
      const t = it.state.step;
      const g = it.grad;
      const direction = it.scratch.direction as Tensor;
      native.optimizerStep(
        "shampoo_graft",
        [[direction.native], [g.native], [it.state.tensors.expAvgSq!.native]],
        [t],
        [it.fresh],
        { beta2, graftingEps: o.graftingEps, maximize: o.maximize, gradScale: ctx.gradScale },
      );
      const blocks = this.blocks(it.param, o);
      let dir = direction;
      let scale = 1;
      if (blocks.length) {
        const cols = it.param.shape[it.param.shape.length - 1]!;
        const s2 = ctx.gradScale * ctx.gradScale;
        blocks.forEach((b, i) => {
          const view = b.r0 * cols + b.c0;
          const T = it.state.tensors;
          // L += G_b G_bᵀ, R += G_bᵀ G_b (as moving averages)
          native.gemm(g.native, g.native, T[`L${i}`]!.native, { m: b.rows, n: b.rows, k: b.cols, aOffset: view, lda: cols, transA: false, bOffset: view, ldb: cols, transB: true, cOffset: 0, ldc: b.rows, alpha: (1 - beta2) * s2, beta: beta2 });
          native.gemm(g.native, g.native, T[`R${i}`]!.native, { m: b.cols, n: b.cols, k: b.rows, aOffset: view, lda: cols, transA: true, bOffset: view, ldb: cols, transB: false, cOffset: 0, ldc: b.cols, alpha: (1 - beta2) * s2, beta: beta2 });
        });
        if (rootsDue(t, o)) {
          let all = true;
          blocks.forEach((b, i) => {
            for (const [side, n] of [["L", b.rows], ["R", b.cols]] as const) {
              const work = ROOT_WORK.map((k) => ctx.scratch[`root${n}.${k}`] as Tensor);
              const r = inverseRoot(it.state.tensors[`${side}${i}`] as Tensor, it.state.tensors[`${side}inv${i}`] as Tensor, n, 4, o.epsilon, o.rootIterations, work);
              if (!r.ok) {
                all = false;
                if (r.error !== 0) this.#rootFailed({ param: params.indexOf(it.param), block: i, side, step: t, error: r.error });
              }
            }
          });
          if (all) it.state.scalars.rootStep = t;
        }
        if (it.state.scalars.rootStep! > 0) {
          const pre = it.scratch.preconditioned as Tensor;
          blocks.forEach((b, i) => {
            const view = b.r0 * cols + b.c0;
            const tmp = it.scratch[`product${i}`] as Tensor;
            native.gemm(it.state.tensors[`Linv${i}`]!.native, g.native, tmp.native, { m: b.rows, n: b.cols, k: b.rows, aOffset: 0, lda: b.rows, transA: false, bOffset: view, ldb: cols, transB: false, cOffset: 0, ldc: b.cols, alpha: 1, beta: 0 });
            native.gemm(tmp.native, it.state.tensors[`Rinv${i}`]!.native, pre.native, { m: b.rows, n: b.cols, k: b.cols, aOffset: 0, lda: b.cols, transA: false, bOffset: 0, ldb: b.cols, transB: false, cOffset: view, ldc: cols, alpha: 1, beta: 0 });
          });
          const dNorm = native.gradNorm([direction.native], 2);
          const pNorm = native.gradNorm([pre.native], 2);
          if (pNorm > 0 && Number.isFinite(pNorm) && Number.isFinite(dNorm)) {
            dir = pre;
            scale = ((o.maximize ? -1 : 1) * dNorm) / pNorm;
          }
        }
      }
      native.optimizerStep("shampoo_apply", [[it.param.native], [dir.native], [it.state.tensors.expAvg!.native]], [t], [it.fresh], {
        lr: o.lr,
        beta1,
        weightDecay: o.weightDecay,
        scale,
      });
    }
  }

  #rootFailed(f: RootFailure): void {
    this.rootFailures.push(f);
    if (!this.#warned) {
      this.#warned = true;
      process.emitWarning(
        `Shampoo: the inverse 4th root of preconditioner ${f.side}${f.block} of param ${f.param} did not converge at step ${f.step} (error ${f.error}); the previous preconditioner is kept (see rootFailures)`,
        "CuoptimWarning",
      );
    }
  }
}

