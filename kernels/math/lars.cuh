// kernels/math/lars.cuh — the per-element LARS update (You, Gitman & Ginsburg 2017, "Large Batch
// Training of Convolutional Networks", Algorithm 1), float32, no fused multiply-adds:
//
//   g <- ±g * grad_scale
//   v <- m*v + λ_t*(g + β*w)      λ_t = γ_t * trust, per tensor (host: -λ_t is passed)
//   w <- w - v
// trust = η‖w‖ / (‖g‖ + β‖w‖ + ε) where both norms are > 0, else 1 (and 1 for groups that opt
// out, e.g. biases and norms): computed per tensor on the host from the addon's norms.
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

enum LarsFlags : unsigned {
  kLarsWeightDecay = 1u << 0,
  kLarsMaximize = 1u << 1,
  kLarsFlagCount = 1u << 2,
};

struct LarsHyper {
  float momentum;
  float weight_decay;
  float grad_scale;
};

// State: momentum_buffer. Per tensor: [-λ_t].
struct LarsOp {
  using Hyper = LarsHyper;
  static constexpr int kStates = 1;
  static constexpr int kTensorScalars = 1;
  static constexpr unsigned kFlagCount = kLarsFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float* ts) {
    g = g * h.grad_scale;
    if (flags & kLarsMaximize) g = -g;
    if (flags & kLarsWeightDecay) g = g + h.weight_decay * p;
    // v <- m*v + λ*u, written with the negated rate: v = m*v - (-λ)*u.
    const float v = h.momentum * s[0] - ts[0] * g;
    s[0] = v;
    p = p - v;
  }
};

}  // namespace math
}  // namespace cuoptim
