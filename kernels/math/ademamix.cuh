// kernels/math/ademamix.cuh — the per-element AdEMAMix update (Pagliardini, Ablin & Grangier 2024,
// "The AdEMAMix Optimizer: Better, Faster, Older"), bitsandbytes' 32-bit kernel's order of
// operations (kOptimizer32bit2State, ADEMAMIX), float32, no fused multiply-adds:
//
//   g   <- g * grad_scale
//   m1  <- m1*β1 + (1-β1)*g            the fast EMA
//   m2  <- m2*β3 + (1-β3)*g            the slow EMA (β3 from its warmup scheduler)
//   nu  <- nu*β2 + ((1-β2)*g)*g
//   p   <- p - lr * ((m1/c1 + α*m2) / (sqrt(nu)/c2 + eps))     c1 = 1-β1^t, c2 = sqrt(1-β2^t)
//   p   <- p * (1 - lr*wd)             decoupled decay, after the update (when wd > 0)
// Per tensor (host, from the step t): [c1, c2, α_t, β3_t]; 1-β is formed in float32, as there.
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

enum AdemamixFlags : unsigned {
  kAdemamixWeightDecay = 1u << 0,
  kAdemamixFlagCount = 1u << 1,
};

struct AdemamixHyper {
  float lr;
  float beta1;
  float beta2;
  float eps;
  float decay_factor;  // 1 - lr*wd, in float32
  float grad_scale;
};

// States: m1, m2, nu. Per tensor: [c1, c2, α_t, β3_t].
struct AdemamixOp {
  using Hyper = AdemamixHyper;
  static constexpr int kStates = 3;
  static constexpr int kTensorScalars = 4;
  static constexpr unsigned kFlagCount = kAdemamixFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float* ts) {
    g = g * h.grad_scale;
    const float beta3 = ts[3];
    s[0] = s[0] * h.beta1 + (1.0f - h.beta1) * g;
    s[1] = s[1] * beta3 + (1.0f - beta3) * g;
    s[2] = s[2] * h.beta2 + (1.0f - h.beta2) * g * g;
    p = p - h.lr * ((s[0] / ts[0] + ts[2] * s[1]) / (sqrtf(s[2]) / ts[1] + h.eps));
    if (flags & kAdemamixWeightDecay) p = p * h.decay_factor;
  }
};

}  // namespace math
}  // namespace cuoptim
