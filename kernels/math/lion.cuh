// kernels/math/lion.cuh — the per-element Lion update (Chen et al. 2023, "Symbolic Discovery of
// Optimization Algorithms", Algorithm 2; the authors' google/automl lion_pytorch.py order).
//
//   g <- grad_scale * g ; g <- -g if maximize
//   p <- p * (1 - lr*wd)                          (decoupled weight decay)
//   c <- b1*m + (1 - b1)*g ; p <- p - lr*sign(c)  (sign(0) = sign(NaN) = 0, as torch.sign)
//   m <- b2*m + (1 - b2)*g
// The interpolations are written as torch's add-with-alpha: one fused multiply-add each.
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

enum LionFlags : unsigned {
  kLionWeightDecay = 1u << 0,
  kLionMaximize = 1u << 1,
  kLionFlagCount = 1u << 2,
};

struct LionHyper {
  float neg_lr;
  float beta1;
  float one_minus_beta1;
  float beta2;
  float one_minus_beta2;
  float decay_factor;  // 1 - lr*wd
  float grad_scale;
};

CUOPTIM_MATH_FN float sign_or_zero(float x) { return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f); }

CUOPTIM_MATH_FN void lion_update(unsigned flags, float& p, float& m, float g, const LionHyper& h) {
  g = g * h.grad_scale;
  if (flags & kLionMaximize) g = -g;
  if (flags & kLionWeightDecay) p = p * h.decay_factor;
  const float c = fmaf(g, h.one_minus_beta1, m * h.beta1);
  p = fmaf(sign_or_zero(c), h.neg_lr, p);
  m = fmaf(g, h.one_minus_beta2, m * h.beta2);
}

// State: exp_avg.
struct LionOp {
  using Hyper = LionHyper;
  static constexpr int kStates = 1;
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = kLionFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float*) {
    lion_update(flags, p, s[0], g, h);
  }
};

}  // namespace math
}  // namespace cuoptim
