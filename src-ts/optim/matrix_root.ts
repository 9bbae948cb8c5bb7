// src-ts/optim/matrix_root.ts — the inverse p-th root of a symmetric positive semi-definite
// matrix by the coupled Newton iteration (Guo & Higham 2006, "A Schur-Newton method for the
// matrix p-th root and its inverse"; as Anil et al. 2020 use it for Shampoo), on cuoptim's own
// matrix product, so it runs on every backend:
//   A' = A + ridge·I,  ridge = epsilon·|A|_F  (relative, as Anil et al.'s implementation)
//   z = (1 + p) / (2 |A'|_F);  M_0 = z A';  X_0 = z^(1/p) I
//   M_i = ((p + 1)/p) I − M/p;  X <- X M_i;  M <- M_i^p M        until |M − I|_max stops falling
// X converges to A'^(-1/p). The result is accepted when |M − I|_max < 1e-3.
import { native } from "../native.js";
import { zeros, type Tensor } from "../tensor.js";

export interface RootResult {
  ok: boolean;
  /** |M − I|_max when the iteration stopped */
  error: number;
  iterations: number;
}

const ACCEPT = 1e-3;

function gemm(a: Tensor, b: Tensor, c: Tensor, n: number): void {
  native.gemm(a.native, b.native, c.native, { m: n, n, k: n, aOffset: 0, lda: n, transA: false, bOffset: 0, ldb: n, transB: false, cOffset: 0, ldc: n, alpha: 1, beta: 0 });
}

/**
 * Writes A^(-1/p) (of the n x n matrix `a`, with the relative ridge) into `out` when the
 * iteration converges; `out` is left as it was otherwise. p must be 2 or 4.
 */
export function inverseRoot(a: Tensor, out: Tensor, n: number, p: 2 | 4, epsilon: number, maxIterations: number, work?: readonly Tensor[]): RootResult {
  const device = a.device;
  const norm = native.gradNorm([a.native], 2);
  if (!(norm > 0) || !Number.isFinite(norm)) return { ok: false, error: norm === 0 ? 0 : NaN, iterations: 0 };
  // Five n x n temporaries: `work` when given (the caller made them before its step began),
  // else made here. Every one is written before it is read.
  const tmp = work ? [...work] : Array.from({ length: 5 }, () => zeros([n, n], { device }));
  try {
    let [m, x, mi, t1, t2] = tmp as [Tensor, Tensor, Tensor, Tensor, Tensor];
    m.set(a);
    native.addDiagonal(m.native, { n, offset: 0, ld: n, value: epsilon * norm });
    const normRidged = native.gradNorm([m.native], 2);
    const z = (1 + p) / (2 * normRidged);
    native.transformTensors([m.native], "scale", z);
    x.zero();
    native.addDiagonal(x.native, { n, offset: 0, ld: n, value: z ** (1 / p) });
    let error = Infinity;
    let iterations = 0;
    for (; iterations < maxIterations; iterations++) {
      mi.set(m);
      native.transformTensors([mi.native], "scale", -1 / p);
      native.addDiagonal(mi.native, { n, offset: 0, ld: n, value: (p + 1) / p });
      gemm(x, mi, t1, n);
      [x, t1] = [t1, x];
      gemm(mi, mi, t1, n); // M_i²
      if (p === 4) {
        gemm(t1, t1, t2, n); // M_i⁴
        [t1, t2] = [t2, t1];
      }
      gemm(t1, m, t2, n);
      [m, t2] = [t2, m];
      t1.set(m);
      native.addDiagonal(t1.native, { n, offset: 0, ld: n, value: -1 });
      const e = native.gradNorm([t1.native], Infinity);
      if (!Number.isFinite(e)) return { ok: false, error: e, iterations: iterations + 1 };
      const stalled = e >= error * 0.9 && error < ACCEPT;
      error = Math.min(error, e);
      if (e < 1e-6 || stalled) {
        iterations += 1;
        break;
      }
    }
    const ok = error < ACCEPT;
    if (ok) out.set(x);
    return { ok, error, iterations };
  } finally {
    if (!work) for (const t of tmp) t.free();
  }
}
