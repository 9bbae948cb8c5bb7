// kernels/math/rprop.cuh — the per-element Rprop update (Riedmiller & Braun 1993, "A Direct
// Adaptive Method for Faster Backpropagation Learning: The RPROP Algorithm"), torch.optim.Rprop's
// order of operations (torch 1.13).
//
//   g <- ±g * grad_scale
//   f <- eta+ if sign(g*prev) > 0, eta- if < 0, else 1    (torch.sign(NaN) is 0)
//   step <- clamp(step * f, step_min, step_max)
//   g <- 0 where f == eta-            (torch: grad[sign.eq(etaminus)] = 0)
//   p <- p - sign(g) * step ; prev <- g
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

enum RpropFlags : unsigned {
  kRpropMaximize = 1u << 0,
  kRpropFlagCount = 1u << 1,
};

struct RpropHyper {
  float eta_minus;
  float eta_plus;
  float step_min;
  float step_max;
  float grad_scale;
};

// torch.sign (torch 1.13): 1, -1, or 0 for zeros and NaN.
CUOPTIM_MATH_FN float sign_nan_zero(float x) { return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f); }

// States: prev, step_size (starts at lr).
struct RpropOp {
  using Hyper = RpropHyper;
  static constexpr int kStates = 2;
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = kRpropFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float*) {
    g = g * h.grad_scale;
    if (flags & kRpropMaximize) g = -g;
    float& prev = s[0];
    float& step = s[1];
    const float product = sign_nan_zero(g * prev);
    const float f = product > 0.0f ? h.eta_plus : (product < 0.0f ? h.eta_minus : 1.0f);
    const float scaled = step * f;
    // torch.clamp: NaN stays NaN.
    step = scaled != scaled ? scaled : fminf(fmaxf(scaled, h.step_min), h.step_max);
    if (f == h.eta_minus) g = 0.0f;
    p = p - sign_nan_zero(g) * step;
    prev = g;
  }
};

}  // namespace math
}  // namespace cuoptim
