// kernels/math/nadam.cuh — the per-element NAdam update (Dozat 2016, "Incorporating Nesterov
// Momentum into Adam"), torch.optim.NAdam's order of operations (torch 1.13; the decoupled weight
// decay of torch >= 2.1).
//
//   g <- ±g * grad_scale;  decoupled: p <- p*(1 - lr*wd)  else  g <- g + wd*p
//   m <- b1*m + (1-b1)*g;  v <- b2*v + (1-b2)*g*g;  d = sqrt(v / (1 - b2^t)) + eps
//   p <- p + (c1 * g) / d;  p <- p + (c2 * m) / d
// with mu_t = b1 (1 - 0.5 * 0.96^(t * momentum_decay)), mu_prod = prod mu_1..mu_t,
// c1 = -lr (1 - mu_t) / (1 - mu_prod), c2 = -lr mu_{t+1} / (1 - mu_prod * mu_{t+1}) — per tensor,
// on the host.
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

enum NadamFlags : unsigned {
  kNadamL2Decay = 1u << 0,
  kNadamDecoupledDecay = 1u << 1,
  kNadamMaximize = 1u << 2,
  kNadamFlagCount = 1u << 3,
};

struct NadamHyper {
  float beta1, beta2, one_minus_beta1, one_minus_beta2, eps, weight_decay, decay_factor, grad_scale;
};

// Per tensor: [1 - b2^t, c1, c2].
struct NadamOp {
  using Hyper = NadamHyper;
  static constexpr int kStates = 2;
  static constexpr int kTensorScalars = 3;
  static constexpr unsigned kFlagCount = kNadamFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float* ts) {
    g = g * h.grad_scale;
    if (flags & kNadamMaximize) g = -g;
    if (flags & kNadamDecoupledDecay) p = p * h.decay_factor;
    if (flags & kNadamL2Decay) g = fmaf(p, h.weight_decay, g);
    float& m = s[0];
    float& v = s[1];
    m = fmaf(g, h.one_minus_beta1, m * h.beta1);
    v = fmaf(h.one_minus_beta2 * g, g, v * h.beta2);
    const float d = sqrtf(v / ts[0]) + h.eps;
    p = p + ts[1] * g / d;
    p = p + ts[2] * m / d;
  }
};

}  // namespace math
}  // namespace cuoptim
