// kernels/math/adabound.cuh — the per-element AdaBound / AMSBound update (Luo et al. 2019,
// "Adaptive Gradient Methods with Dynamic Bound of Learning Rate"), in the order of the authors'
// implementation (Luolc/AdaBound, adabound.py):
//
//   g <- g * grad_scale;  g <- g + wd*p
//   m <- b1*m + (1-b1)*g;  v <- b2*v + (1-b2)*g*g;  (AMSBound: vmax <- max(vmax, v), used for v)
//   p <- p - clamp(step_size / (sqrt(v) + eps), lower, upper) * m
// step_size = lr sqrt(1 - b2^t) / (1 - b1^t); final = final_lr * lr / base_lr;
// lower = final (1 - 1/(gamma t + 1)), upper = final (1 + 1/(gamma t)) — per tensor, on the host.
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

enum AdaboundFlags : unsigned {
  kAdaboundWeightDecay = 1u << 0,
  kAdaboundAmsbound = 1u << 1,
  kAdaboundFlagCount = 1u << 2,
};

struct AdaboundHyper {
  float beta1, beta2, one_minus_beta1, one_minus_beta2, eps, weight_decay, grad_scale;
};

// Per tensor: [step_size, lower, upper].
struct AdaboundOp {
  using Hyper = AdaboundHyper;
  static constexpr int kStates = 3;  // exp_avg, exp_avg_sq, max_exp_avg_sq (AMSBound)
  static constexpr int kTensorScalars = 3;
  static constexpr unsigned kFlagCount = kAdaboundFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned flags, int k) { return k < 2 || (flags & kAdaboundAmsbound) != 0; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float* ts) {
    g = g * h.grad_scale;
    if (flags & kAdaboundWeightDecay) g = fmaf(p, h.weight_decay, g);
    s[0] = fmaf(g, h.one_minus_beta1, s[0] * h.beta1);
    s[1] = fmaf(h.one_minus_beta2 * g, g, s[1] * h.beta2);
    float second = s[1];
    if (flags & kAdaboundAmsbound) {
      s[2] = nan_max(s[2], s[1]);
      second = s[2];
    }
    float step = ts[0] / (sqrtf(second) + h.eps);
    step = step < ts[1] ? ts[1] : (step > ts[2] ? ts[2] : step);
    p = p + -(step * s[0]);
  }
};

}  // namespace math
}  // namespace cuoptim
