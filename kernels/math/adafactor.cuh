// kernels/math/adafactor.cuh — Adafactor's math and its reduction tree, shared by every backend.
//
// Shazeer & Stern 2018, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost". Two
// variants, each following its reference's order of operations:
//   torch.optim.Adafactor (torch >= 2.5):
//     w = t^decay (= 1 - beta2_t);  rho = min(lr, 1/sqrt(t));  alpha = max(eps2, RMS(p)) * rho
//     p <- p * (1 - lr*wd)
//     factored: R <- lerp(R, mean_c(g²), w);  C <- lerp(C, mean_r(g²), w)
//               V = R_r * C_c / max(mean_r(R), eps1)
//     vector:   v <- lerp(v, g², w);  V = v
//     U = g * (1/sqrt(max(V, eps1²)));  p <- p + U * (-alpha / max(1, RMS(U)/d))
//   transformers.optimization.Adafactor:
//     q = g² + eps1;  factored: R <- b2t*R + (1-b2t)*mean_c(q), likewise C;
//                             U = (1/sqrt(R_r / mean_r(R))) * (1/sqrt(C_c)) * g
//                     vector: v <- b2t*v + (1-b2t)*q;  U = (1/sqrt(v)) * g
//     U <- U / max(1, RMS(U)/clip);  U <- U * lr_t  (lr_t = max(eps2, RMS(p)) * rel_step, or
//     the given lr);  beta1: m <- beta1*m + (1-beta1)*U, U = m;  p <- p - wd*lr_t*p;  p <- p - U
//   CAME (Luo et al. 2023, "CAME: Confidence-guided Adaptive Memory Efficient Optimization";
//   yangluo7/CAME, CAME.py) — transformers' second moment with a constant beta2, then:
//     U <- U / max(1, RMS(U)/clip);  m <- b1*m + (1-b1)*U
//     res = (U - m)² + eps_res;  factored: S <- b3*S + (1-b3)*mean_c(res), likewise T;
//                                          U = (1/sqrt(S_r / mean_r(S))) * (1/sqrt(T_c)) * m
//                                vector:   U = m
//     p <- p - wd*lr*p;  p <- p - U*lr
// A tensor with two or more dims is factored over its last two: B slices (the leading dims) of
// an R x C matrix. Per-element operations are float; every sum is in double (each g² is exact
// there) along the fixed tree below, so cpu and cuda-sim agree bit for bit.
//
// The reduction tree. An R x C slice is cut into tiles of kSegRows rows by kStrip columns; a
// tile is one CUDA block, thread t owning column strip*kStrip + t (out-of-range columns add 0).
//   col_sum[c] = sum over segments, in order, of (sum over the segment's rows, in order, q[r][c])
//   row_sum[r] = sum over strips, in order, of (sum over the strip's 8 warps, in order, of the
//                warp butterfly of its 32 lanes' q[r][c])
//   tile_sum     = (sum over warps, in order, of the butterfly of each lane's in-order sum over
//                its rows in the segment), for p² and for U²
//   a scalar sum (sum of p², of U² over the tiles; mean_r's sum over the rows) = the strided
//                tree: lane t of 256 adds items t, t + 256, ... in order (tiles in slice,
//                segment, strip order), then the warps' butterflies in warp order, as above
// "Butterfly": v_l += v_{l^16}; v_l += v_{l^8}; ...; v_l += v_{l^1}, read at lane 0.
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

inline constexpr int kAdafactorStrip = 256;   // columns per tile (threads per block)
inline constexpr int kAdafactorSegRows = 256; // rows per tile
inline constexpr int kAdafactorWarps = kAdafactorStrip / 32;

enum AdafactorVariant : int { kAdafactorTorch = 0, kAdafactorTransformers = 1, kAdafactorCame = 2 };

// Uniform over a launch (one param group).
struct AdafactorHyper {
  int variant;
  float eps1;           // torch: clamp floor (eps1² for V); transformers: added to g²
  float eps1_squared;   // eps1*eps1 (torch)
  float decay_factor;   // torch: 1 - lr*wd
  float grad_scale;
  int maximize;
  int weight_decay;     // wd != 0
  float beta1;          // transformers, when first moment is on
  float one_minus_beta1;
  int first_moment;
  double eps2;
  double d;             // torch d / transformers clip_threshold
  double wd;            // transformers: p <- p - wd*lr_t*p
  int scale_parameter;  // transformers
  float res_beta;       // CAME: b3, the instability's moving average
  float one_minus_res_beta;
  float eps_res;        // CAME: added to (U - m)²
  float lr;             // CAME
  float neg_wd_lr;      // CAME: -wd*lr
};

// Per tensor, from its step count (host, double).
struct AdafactorStepScalars {
  float w;              // torch: lerp weight t^decay;  transformers: 1 - beta2_t
  float beta2_t;        // transformers
  double rho;           // torch: min(lr, 1/sqrt t);  transformers: relative (or given) step size
};

// Per tensor, from its reductions (device or cpu, double, the same on both).
struct AdafactorTensorScalars {
  double sum_p2;
  double sum_u2;
  float neg_step;       // torch: -alpha/denom
  float clip_denom;     // transformers: max(1, RMS(U)/clip)
  float lr_t;           // transformers
  float neg_wd_lr;      // transformers: -wd*lr_t
};

// What the row/column sums and vector states are fed: g² (torch) or g² + eps1 (transformers).
CUOPTIM_MATH_FN float adafactor_q(float g, const AdafactorHyper& h) {
  const float g2 = g * g;
  return h.variant != kAdafactorTorch ? g2 + h.eps1 : g2;
}

// The gradient as the optimizer reads it.
CUOPTIM_MATH_FN float adafactor_grad(float g, const AdafactorHyper& h) {
  g = g * h.grad_scale;
  return h.maximize ? -g : g;
}

// Moving averages of the row and column means.
CUOPTIM_MATH_FN float adafactor_ema(float state, float mean, const AdafactorHyper& h, const AdafactorStepScalars& s) {
  return h.variant == kAdafactorTorch ? torch_lerp(state, mean, s.w) : fmaf(mean, s.w, state * s.beta2_t);
}

// transformers' and CAME's factored update is a row factor times a column factor times the
// value, each factor the same along its whole row or column: a caller may compute them once.
CUOPTIM_MATH_FN float adafactor_row_factor(float row, float r_mean) { return 1.0f / sqrtf(row / r_mean); }
CUOPTIM_MATH_FN float adafactor_col_factor(float col) { return 1.0f / sqrtf(col); }
CUOPTIM_MATH_FN float adafactor_u_factors(float x, float row_factor, float col_factor) { return row_factor * col_factor * x; }

// The unclipped update U of one element. Factored: row, col = R_r, C_c; r_mean = mean_r(R).
// Vector: row = v (already updated), col and r_mean unused.
CUOPTIM_MATH_FN float adafactor_u(float g, float row, float col, float r_mean, bool factored, const AdafactorHyper& h) {
  if (h.variant == kAdafactorTorch) {
    float v = factored ? row * col / (r_mean > h.eps1 ? r_mean : h.eps1) : row;
    v = v > h.eps1_squared ? v : h.eps1_squared;
    return g * (1.0f / sqrtf(v));
  }
  if (factored) return adafactor_u_factors(g, adafactor_row_factor(row, r_mean), adafactor_col_factor(col));
  return (1.0f / sqrtf(row)) * g;
}

// CAME: the first moment from the clipped U (written back), and the instability (U - m)² + eps.
CUOPTIM_MATH_FN float came_moment_and_res(float u, float& m, const AdafactorHyper& h, const AdafactorTensorScalars& t) {
  u = u / t.clip_denom;
  m = fmaf(u, h.one_minus_beta1, m * h.beta1);
  const float d = u - m;
  return d * d + h.eps_res;
}

// CAME: moving averages of the instability's row and column means.
CUOPTIM_MATH_FN float came_res_ema(float state, float mean, const AdafactorHyper& h) {
  return fmaf(mean, h.one_minus_res_beta, state * h.res_beta);
}

// CAME's param update: factored, res_row/res_col/res_mean are S_r, T_c, mean_r(S); vector: m.
CUOPTIM_MATH_FN void came_apply_u(float& p, float u, const AdafactorHyper& h) {
  if (h.weight_decay) p = fmaf(p, h.neg_wd_lr, p);
  p = p - u * h.lr;
}
CUOPTIM_MATH_FN void came_apply(float& p, float m, float res_row, float res_col, float res_mean, bool factored, const AdafactorHyper& h) {
  came_apply_u(p, factored ? adafactor_u_factors(m, adafactor_row_factor(res_row, res_mean), adafactor_col_factor(res_col)) : m, h);
}

// The param (and first moment) update from U.
CUOPTIM_MATH_FN void adafactor_apply(float& p, float& m, float u, const AdafactorHyper& h, const AdafactorTensorScalars& t) {
  if (h.variant == kAdafactorTorch) {
    if (h.weight_decay) p = p * h.decay_factor;
    p = fmaf(u, t.neg_step, p);
    return;
  }
  u = u / t.clip_denom;
  u = u * t.lr_t;
  if (h.first_moment) {
    m = fmaf(u, h.one_minus_beta1, m * h.beta1);
    u = m;
  }
  if (h.weight_decay) p = fmaf(p, t.neg_wd_lr, p);
  p = p - u;
}

// From the two sums: the step (torch) or lr_t and clip denominator (transformers), in double.
CUOPTIM_MATH_FN void adafactor_finish_scalars(AdafactorTensorScalars& t, double numel, const AdafactorHyper& h,
                                              const AdafactorStepScalars& s) {
  const double rms_p = sqrt(t.sum_p2 / numel);
  const double rms_u = sqrt(t.sum_u2 / numel);
  const double clip = rms_u / h.d > 1.0 ? rms_u / h.d : 1.0;
  const double scale = h.eps2 > rms_p ? h.eps2 : rms_p;
  if (h.variant == kAdafactorTorch) {
    const double alpha = scale * s.rho;
    t.neg_step = static_cast<float>(-alpha / clip);
  } else if (h.variant == kAdafactorCame) {
    t.clip_denom = static_cast<float>(clip);
  } else {
    const double lr_t = h.scale_parameter ? scale * s.rho : s.rho;
    t.lr_t = static_cast<float>(lr_t);
    t.clip_denom = static_cast<float>(clip);
    t.neg_wd_lr = static_cast<float>(-h.wd * lr_t);
  }
}

}  // namespace math
}  // namespace cuoptim
