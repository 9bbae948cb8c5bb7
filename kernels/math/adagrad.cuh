// kernels/math/adagrad.cuh — the per-element Adagrad update (Duchi et al. 2011),
// torch.optim.Adagrad's order of operations (torch 1.13).
//
//   g <- ±g * grad_scale;  g <- g + wd*p
//   sum <- sum + g*g;  p <- p - clr * g / (sqrt(sum) + eps),  clr = lr / (1 + (t - 1) * lr_decay)
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

enum AdagradFlags : unsigned {
  kAdagradWeightDecay = 1u << 0,
  kAdagradMaximize = 1u << 1,
  kAdagradFlagCount = 1u << 2,
};

struct AdagradHyper {
  float eps, weight_decay, grad_scale;
};

// Per tensor: [-clr].
struct AdagradOp {
  using Hyper = AdagradHyper;
  static constexpr int kStates = 1;  // sum
  static constexpr int kTensorScalars = 1;
  static constexpr unsigned kFlagCount = kAdagradFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float* ts) {
    g = g * h.grad_scale;
    if (flags & kAdagradMaximize) g = -g;
    if (flags & kAdagradWeightDecay) g = fmaf(p, h.weight_decay, g);
    s[0] = fmaf(g, g, s[0]);
    p = p + ts[0] * g / (sqrtf(s[0]) + h.eps);
  }
};

}  // namespace math
}  // namespace cuoptim
