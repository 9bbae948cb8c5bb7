// kernels/math/radam.cuh — the per-element RAdam update (Liu et al. 2020, "On the Variance of the
// Adaptive Learning Rate and Beyond"), torch.optim.RAdam's order of operations (torch 1.13; the
// decoupled weight decay of torch >= 2.1).
//
//   g <- ±g * grad_scale;  decoupled: p <- p*(1 - lr*wd)  else  g <- g + wd*p
//   m <- b1*m + (1-b1)*g;  v <- b2*v + (1-b2)*g*g;  m_hat = m / (1 - b1^t)
//   rho_t > 5: p <- p - m_hat * lr * (sqrt(1 - b2^t) / (sqrt(v) + eps)) * rect
//              (a Python float over a tensor is reciprocal-then-multiply in torch, here too)
//   else:      p <- p - m_hat * lr                     (SGD with momentum)
// rho_t, rect and the switch are per tensor, from the step count (host, double).
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

enum RadamFlags : unsigned {
  kRadamL2Decay = 1u << 0,
  kRadamDecoupledDecay = 1u << 1,
  kRadamMaximize = 1u << 2,
  kRadamFlagCount = 1u << 3,
};

struct RadamHyper {
  float lr, beta1, beta2, one_minus_beta1, one_minus_beta2, eps, weight_decay, decay_factor, grad_scale;
};

// Per tensor: [bias_correction1, sqrt(bias_correction2), rect, rectified (1) or not (0)].
struct RadamOp {
  using Hyper = RadamHyper;
  static constexpr int kStates = 2;
  static constexpr int kTensorScalars = 4;
  static constexpr unsigned kFlagCount = kRadamFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float* ts) {
    g = g * h.grad_scale;
    if (flags & kRadamMaximize) g = -g;
    if (flags & kRadamDecoupledDecay) p = p * h.decay_factor;
    if (flags & kRadamL2Decay) g = fmaf(p, h.weight_decay, g);
    float& m = s[0];
    float& v = s[1];
    m = fmaf(g, h.one_minus_beta1, m * h.beta1);
    v = fmaf(h.one_minus_beta2 * g, g, v * h.beta2);
    const float m_hat = m / ts[0];
    if (ts[3] != 0.0f) {
      const float adaptive = (1.0f / (sqrtf(v) + h.eps)) * ts[1];
      p = p - m_hat * h.lr * adaptive * ts[2];
    } else {
      p = p - m_hat * h.lr;
    }
  }
};

}  // namespace math
}  // namespace cuoptim
