// src-ts/optim/muon.ts — Muon, momentum orthogonalised by Newton–Schulz (Jordan et al. 2024;
// "Muon is Scalable for LLM Training", Liu et al. 2025), torch.optim.Muon's semantics (torch ≥ 2.9):
//
//   g = ∇f(θ) times gradScale ;  B ← lerp(B, g, 1 − μ) ;  U = nesterov ? lerp(g, B, μ) : B
//   X = U (transposed when it has more rows than columns) / max(‖U‖_F, ε)
//   ns_steps times:  A = X Xᵀ ;  A' = b·A + c·A·A ;  X ← a·X + A'·X        (a, b, c) = nsCoefficients
//   θ ← θ·(1 − γλ) ;  θ ← θ − γ'·X  with γ' = γ·√max(1, rows/cols) ("original") or 0.2·γ·√max(rows, cols)
//   ("matchRmsAdamw")
// Defaults are torch's: lr 1e-3, weightDecay 0.1, momentum 0.95, nesterov true, nsCoefficients
// (3.4445, −4.7750, 2.0315), eps 1e-7, nsSteps 5, adjustLrFn "original". Only 2-D params, as
// torch: train a whole model by giving Muon its hidden matrices and an AdamW the rest (embeddings,
// head, biases, norms), as the reference implementations' MuonWithAuxAdam does (README).
//
// The products run on cuoptim's matrix product (kernels/math/gemm.cuh: each element a chain of
// fused multiply-adds over k in order, the same bits on every backend), in float32; nsDtype
// "bfloat16" rounds the normalised matrix and each product's result to bfloat16, as torch runs the
// iteration in bfloat16. The transposes are folded into the products' operand order. Matrices of
// one shape are orthogonalised side by side, up to 16 at once: each product of the iteration is
// one native call for the batch (one launch on cuda). The temporaries (U, the next X, A and A')
// are made once per step: per distinct shape, one set per matrix of its largest batch.
import { fail } from "../errors.js";
import { native } from "../native.js";
import { checkTensor, Tensor } from "../tensor.js";
import { checkBool, checkNumber, checkOneOf } from "../validate.js";
import { ElementwiseOptimizer, type NativeOptions } from "./elementwise.js";
import type { CommonOptions, ParamGroupInput, ParamsInput, StateSpec, StepContext, UpdateItem } from "./optimizer.js";
import { castInto } from "./precision.js";
import { runElementwise } from "./run.js";

/** Options of Muon (torch.optim.Muon's). */
export interface MuonOptions {
  /** the step size γ (1e-3) */
  lr: number;
  /** decoupled weight decay λ (0.1) */
  weightDecay: number;
  /** μ, the momentum (0.95) */
  momentum: number;
  /** orthogonalise g's Nesterov look-ahead rather than the buffer (true) */
  nesterov: boolean;
  /** the quintic's (a, b, c) ([3.4445, -4.7750, 2.0315]) */
  nsCoefficients: [number, number, number];
  /** the Frobenius norm's floor (1e-7) */
  eps: number;
  /** Newton–Schulz iterations, in [1, 100) (5) */
  nsSteps: number;
  /** "original" (√max(1, rows/cols)) or "matchRmsAdamw" (0.2·√max(rows, cols)) */
  adjustLrFn: "original" | "matchRmsAdamw";
  /** the iteration's rounding: "float32" (default) or "bfloat16" (each product rounded, as torch) */
  nsDtype: "float32" | "bfloat16";
}

const MUON_DEFAULTS: MuonOptions = {
  lr: 1e-3,
  weightDecay: 0.1,
  momentum: 0.95,
  nesterov: true,
  nsCoefficients: [3.4445, -4.775, 2.0315],
  eps: 1e-7,
  nsSteps: 5,
  adjustLrFn: "original",
  nsDtype: "float32",
};

/** The temporaries one matrix of a batch needs for a step. */
interface Work {
  u: Tensor;
  next: Tensor;
  gram: Tensor;
  gramUpdate: Tensor;
  /** bfloat16 copies for nsDtype "bfloat16": of the R x C matrices and of the m x m ones */
  round?: { matrix: Tensor; square: Tensor };
}

/** Same-shape matrices orthogonalised side by side (their products batched into one call each). */
const MUON_BATCH = 16;

const shapeKey = (t: Tensor) => t.shape.join("x");

/** Muon (Jordan et al. 2024): momentum whose update is orthogonalised by a Newton–Schulz iteration, for 2-D params. */
export class Muon extends ElementwiseOptimizer<MuonOptions> {
  constructor(params: ParamsInput<MuonOptions>, options: Partial<MuonOptions> & CommonOptions = {}) {
    super("muon_momentum", Muon.matricesOnly(params, "paramGroups"), MUON_DEFAULTS, options);
  }

  override addParamGroup(group: ParamGroupInput<MuonOptions>): void {
    super.addParamGroup(Muon.matricesOnly([group], `paramGroups[${this.paramGroups.length}]`)[0] as ParamGroupInput<MuonOptions>);
  }

  /** Refuses non-matrix params before anything is built (torch: "Muon only supports 2D parameters"). */
  private static matricesOnly<P extends ParamsInput<MuonOptions>>(params: P, base: string): P {
    if (!Array.isArray(params)) return params;
    const groups = params.every((p) => p instanceof Tensor) ? [{ params: params as Tensor[] }] : (params as ParamGroupInput<MuonOptions>[]);
    groups.forEach((g, i) => {
      if (typeof g !== "object" || g === null || !Array.isArray(g.params)) return; // the base class names the problem
      g.params.forEach((p, j) => {
        const where = params.every((q) => q instanceof Tensor) ? `params[${j}]` : `${base === "paramGroups" ? `paramGroups[${i}]` : base}.params[${j}]`;
        checkTensor(p, where);
        if (p.shape.length !== 2) {
          fail("ERR_SHAPE", `${where}: Muon takes 2-D params only (matrices), got shape [${p.shape.join(", ")}]; give biases, norms and embeddings to an AdamW beside it`);
        }
      });
    });
    return params;
  }

  protected checkOptions(o: MuonOptions, where: string): void {
    checkNumber(o.lr, `${where}.lr`, { min: 0 });
    checkNumber(o.weightDecay, `${where}.weightDecay`, { min: 0 });
    checkNumber(o.momentum, `${where}.momentum`, { min: 0, max: 1, maxOpen: true });
    checkBool(o.nesterov, `${where}.nesterov`);
    if (!Array.isArray(o.nsCoefficients) || o.nsCoefficients.length !== 3) fail("ERR_INVALID_ARGUMENT", `${where}.nsCoefficients: expected an array of 3 numbers (a, b, c)`);
    o.nsCoefficients.forEach((c, i) => checkNumber(c, `${where}.nsCoefficients[${i}]`));
    checkNumber(o.eps, `${where}.eps`, { min: 0, minOpen: true });
    checkNumber(o.nsSteps, `${where}.nsSteps`, { min: 1, max: 100, maxOpen: true, integer: true });
    checkOneOf(o.adjustLrFn, `${where}.adjustLrFn`, ["original", "matchRmsAdamw"]);
    checkOneOf(o.nsDtype, `${where}.nsDtype`, ["float32", "bfloat16"]);
  }

  protected nativeOptions(o: MuonOptions): NativeOptions {
    return { momentum: o.momentum, nesterov: o.nesterov };
  }

  /** The momentum buffer persists; U lives only through a step. */
  protected override stateSpec(param: Tensor, options: MuonOptions): StateSpec {
    const { update: _, ...spec } = super.stateSpec(param, options);
    return spec;
  }

  /** Per distinct shape, one set of temporaries per matrix of the largest batch of that shape. */
  protected override stepScratchSpec(batches: readonly { options: MuonOptions; items: readonly UpdateItem[] }[]): StateSpec {
    const spec: StateSpec = {};
    for (const { options, items } of batches) {
      const counts = new Map<string, number>();
      for (const { param } of items) {
        const k = shapeKey(param);
        const j = counts.get(k) ?? 0;
        counts.set(k, j + 1);
        if (j >= MUON_BATCH) continue;
        const [r, c] = param.shape as [number, number];
        const m = Math.min(r, c);
        spec[`u:${k}:${j}`] = { dtype: "float32", shape: [r, c] };
        spec[`next:${k}:${j}`] = { dtype: "float32", shape: [r, c] };
        spec[`gram:${k}:${j}`] = { dtype: "float32", shape: [m, m] };
        spec[`gramUpdate:${k}:${j}`] = { dtype: "float32", shape: [m, m] };
        if (options.nsDtype === "bfloat16") {
          spec[`roundMatrix:${k}:${j}`] = { dtype: "bfloat16", shape: [r, c] };
          spec[`roundSquare:${k}:${j}`] = { dtype: "bfloat16", shape: [m, m] };
        }
      }
    }
    return spec;
  }

  /** torch's _adjust_lr. */
  private adjustedLr(o: MuonOptions, [rows, cols]: readonly number[]): number {
    return o.adjustLrFn === "original" ? o.lr * Math.sqrt(Math.max(1, rows! / cols!)) : o.lr * 0.2 * Math.sqrt(Math.max(rows!, cols!));
  }

  protected override applyUpdate(o: MuonOptions, items: UpdateItem[], ctx: StepContext): void {
    const byShape = new Map<string, UpdateItem[]>();
    for (const it of items) {
      const k = shapeKey(it.param);
      if (byShape.has(k)) byShape.get(k)!.push(it);
      else byShape.set(k, [it]);
    }
    for (const [k, same] of byShape) {
      for (let first = 0; first < same.length; first += MUON_BATCH) {
        const batch = same.slice(first, first + MUON_BATCH);
        const s = ctx.scratch as Record<string, Tensor>;
        const works: Work[] = batch.map((_, j) => ({
          u: s[`u:${k}:${j}`]!,
          next: s[`next:${k}:${j}`]!,
          gram: s[`gram:${k}:${j}`]!,
          gramUpdate: s[`gramUpdate:${k}:${j}`]!,
          ...(o.nsDtype === "bfloat16" ? { round: { matrix: s[`roundMatrix:${k}:${j}`]!, square: s[`roundSquare:${k}:${j}`]! } } : {}),
        }));
        runElementwise("muon_momentum", this.nativeOptions(o), batch.map((it, j) => ({ ...it, scratch: { update: works[j]!.u } })), ctx);
        const results = this.orthogonalise(o, batch[0]!.param.shape as [number, number], works);
        const lr = this.adjustedLr(o, batch[0]!.param.shape);
        runElementwise("muon_apply", { lr: o.lr, weightDecay: o.weightDecay }, batch.map((it, j) => ({ ...it, scratch: { update: results[j]! } })), ctx, { hostValues: batch.map(() => lr) });
      }
    }
  }

  /** Newton–Schulz on each work's u (rows x cols, one shape); returns the buffers holding the results. */
  private orthogonalise(o: MuonOptions, [rows, cols]: [number, number], works: Work[]): Tensor[] {
    const [a, b, c] = o.nsCoefficients;
    const tall = rows > cols;
    const m = Math.min(rows, cols);
    const round = (ts: Tensor[], via: Tensor[] | undefined) => {
      if (!via) return;
      castInto(via, ts);
      castInto(ts, via);
    };
    const matrices = works[0]!.round ? works.map((w) => w.round!.matrix) : undefined;
    const squares = works[0]!.round ? works.map((w) => w.round!.square) : undefined;
    const grams = works.map((w) => w.gram), updates = works.map((w) => w.gramUpdate);
    let x = works.map((w) => w.u), next = works.map((w) => w.next);
    round(x, matrices);
    for (const t of x) {
      const norm = Math.fround(native.gradNorm([t.native], 2));
      native.transformTensors([t.native], "scale", Math.fround(1 / Math.max(norm, Math.fround(o.eps))));
    }
    round(x, matrices);
    const gemm = (A: Tensor[], B: Tensor[], C: Tensor[], g: { m: number; n: number; k: number; lda: number; ldb: number; transA: boolean; transB: boolean; alpha: number; beta: number }) =>
      native.gemmBatched(A.map((t) => t.native), B.map((t) => t.native), C.map((t) => t.native), { ...g, aOffset: 0, bOffset: 0, cOffset: 0, ldc: g.n });
    for (let step = 0; step < o.nsSteps; step++) {
      // A = X Xᵀ, with X = Uᵀ for tall matrices (A = Uᵀ U).
      gemm(x, x, grams, tall ? { m, n: m, k: rows, lda: cols, ldb: cols, transA: true, transB: false, alpha: 1, beta: 0 } : { m, n: m, k: cols, lda: cols, ldb: cols, transA: false, transB: true, alpha: 1, beta: 0 });
      round(grams, squares);
      // A' = b·A + c·A·A (torch's addmm(A, A, A, beta=b, alpha=c)).
      castInto(updates, grams);
      gemm(grams, grams, updates, { m, n: m, k: m, lda: m, ldb: m, transA: false, transB: false, alpha: c, beta: b });
      round(updates, squares);
      // X ← a·X + A'·X; for tall matrices, in U's orientation: U ← a·U + U·A'ᵀ.
      castInto(next, x);
      if (tall) gemm(x, updates, next, { m: rows, n: cols, k: cols, lda: cols, ldb: m, transA: false, transB: true, alpha: 1, beta: a });
      else gemm(updates, x, next, { m: rows, n: cols, k: rows, lda: m, ldb: cols, transA: false, transB: false, alpha: 1, beta: a });
      round(next, matrices);
      [x, next] = [next, x];
    }
    return x;
  }
}
