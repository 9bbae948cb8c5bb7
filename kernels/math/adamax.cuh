// kernels/math/adamax.cuh — the per-element Adamax update (Kingma & Ba 2015, section 7.1),
// torch.optim.Adamax's order of operations (torch 1.13).
//
//   g <- ±g * grad_scale;  g <- g + wd*p
//   m <- b1*m + (1-b1)*g;  u <- max(b2*u, |g| + eps)   (NaN propagates, as torch.amax)
//   p <- p - (lr / (1 - b1^t)) * m / u
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

enum AdamaxFlags : unsigned {
  kAdamaxWeightDecay = 1u << 0,
  kAdamaxMaximize = 1u << 1,
  kAdamaxFlagCount = 1u << 2,
};

struct AdamaxHyper {
  float beta1, beta2, one_minus_beta1, eps, weight_decay, grad_scale;
};

// Per tensor: [-lr / (1 - b1^t)].
struct AdamaxOp {
  using Hyper = AdamaxHyper;
  static constexpr int kStates = 2;  // exp_avg, exp_inf
  static constexpr int kTensorScalars = 1;
  static constexpr unsigned kFlagCount = kAdamaxFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float* ts) {
    g = g * h.grad_scale;
    if (flags & kAdamaxMaximize) g = -g;
    if (flags & kAdamaxWeightDecay) g = fmaf(p, h.weight_decay, g);
    s[0] = fmaf(g, h.one_minus_beta1, s[0] * h.beta1);
    s[1] = nan_max(s[1] * h.beta2, fabsf(g) + h.eps);
    p = p + ts[0] * s[0] / s[1];
  }
};

}  // namespace math
}  // namespace cuoptim
