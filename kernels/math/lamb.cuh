// kernels/math/lamb.cuh — LAMB (You et al. 2019, "Large Batch Optimization for Deep Learning:
// Training BERT in 76 minutes"), apex FusedLAMB's two stages (multi_tensor_lamb.cu), float32, no
// fused multiply-adds. Between them the host takes each tensor's norms ‖θ‖ and ‖u‖ from the
// addon's reductions and forms the trust ratio.
//
// Stage 1 (lamb_update), with clip = ‖g‖/maxGradNorm over all grads when that exceeds 1:
//   g <- (g * grad_scale) / clip
//   (L2 mode) g <- g + wd*θ
//   m <- m*β1 + β3*g                 β3 = 1-β1 (grad averaging) or 1
//   v <- v*β2 + (1-β2)*g*g
//   u <- (m/c1) / (sqrt(v/c2) + eps)  (+ wd*θ in AdamW mode)     c1, c2: bias corrections
// Stage 2 (lamb_apply): θ <- θ - ratio*u, ratio = lr*(‖θ‖/‖u‖) (per tensor, host).
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

enum LambFlags : unsigned {
  kLambAdamwMode = 1u << 0,  // decay added to the update (apex MOMENT_MODE_1), else to the gradient
  kLambFlagCount = 1u << 1,
};

struct LambHyper {
  float beta1;
  float beta2;
  float beta3;
  float eps;
  float weight_decay;
  float clip;  // the global-norm divisor, >= 1
  float grad_scale;
};

// States: expAvg, expAvgSq, update (the last a step temporary). Per tensor: [c1, c2].
struct LambUpdateOp {
  using Hyper = LambHyper;
  static constexpr int kStates = 3;
  static constexpr int kTensorScalars = 2;
  static constexpr unsigned kFlagCount = kLambFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float* ts) {
    g = (g * h.grad_scale) / h.clip;
    if (!(flags & kLambAdamwMode)) g = g + h.weight_decay * p;
    s[0] = s[0] * h.beta1 + h.beta3 * g;
    s[1] = s[1] * h.beta2 + (1.0f - h.beta2) * g * g;
    const float u = (s[0] / ts[0]) / (sqrtf(s[1] / ts[1]) + h.eps);
    s[2] = (flags & kLambAdamwMode) ? u + h.weight_decay * p : u;
  }
};

struct LambApplyHyper {
  float unused;
};

// State: update (read). Per tensor: [ratio].
struct LambApplyOp {
  using Hyper = LambApplyHyper;
  static constexpr int kStates = 1;
  static constexpr int kTensorScalars = 1;
  static constexpr unsigned kFlagCount = 1;
  static constexpr bool kReadsGrad = false;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned, float& p, float, float* s, const Hyper&, const float* ts) { p = p - ts[0] * s[0]; }
};

}  // namespace math
}  // namespace cuoptim
