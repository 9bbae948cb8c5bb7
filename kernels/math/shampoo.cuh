// kernels/math/shampoo.cuh — Shampoo's element-wise passes (Gupta et al. 2018; Anil et al. 2020,
// "Scalable Second Order Optimization for Deep Learning", with Adam grafting); the
// preconditioners themselves are matrix products (gemm.cuh) driven from src-ts/optim/shampoo.ts.
//
//   graft:  g <- ±g * grad_scale;  v <- b2*v + (1-b2)*g*g;  D = g / (sqrt(v)/sqrt(1 - b2^t) + eps)
//           (Adam's direction; written over the scratch tensor in the param slot)
//   apply:  d = dir * scale   (dir = L^-1/4 G R^-1/4 with scale = ±|D|/|dir|, or D with scale 1)
//           p <- p*(1 - lr*wd);  m <- b1*m + (1-b1)*d;  p <- p + (-lr/(1 - b1^t)) * m
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

enum ShampooFlags : unsigned {
  kShampooMaximize = 1u << 0,
  kShampooWeightDecay = 1u << 1,
  kShampooFlagCount = 1u << 2,
};

struct ShampooGraftHyper {
  float beta2, one_minus_beta2, eps, grad_scale;
};

// Per tensor: [sqrt(1 - b2^t)].
struct ShampooGraftOp {
  using Hyper = ShampooGraftHyper;
  static constexpr int kStates = 1;  // exp_avg_sq (Adam's second moment)
  static constexpr int kTensorScalars = 1;
  static constexpr unsigned kFlagCount = kShampooFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& d, float g, float* s, const Hyper& h, const float* ts) {
    g = g * h.grad_scale;
    if (flags & kShampooMaximize) g = -g;
    s[0] = fmaf(h.one_minus_beta2 * g, g, s[0] * h.beta2);
    d = g / (sqrtf(s[0]) / ts[0] + h.eps);
  }
};

struct ShampooApplyHyper {
  float beta1, one_minus_beta1, decay_factor;
};

// Per tensor: [scale, -lr / (1 - b1^t)]. The direction is read from the gradient slot.
struct ShampooApplyOp {
  using Hyper = ShampooApplyHyper;
  static constexpr int kStates = 1;  // exp_avg (momentum of the grafted direction)
  static constexpr int kTensorScalars = 2;
  static constexpr unsigned kFlagCount = kShampooFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float dir, float* s, const Hyper& h, const float* ts) {
    const float d = dir * ts[0];
    if (flags & kShampooWeightDecay) p = p * h.decay_factor;
    s[0] = fmaf(d, h.one_minus_beta1, s[0] * h.beta1);
    p = p + ts[1] * s[0];
  }
};

}  // namespace math
}  // namespace cuoptim
