// kernels/math/asgd.cuh — the per-element averaged SGD update (Polyak & Juditsky 1992,
// "Acceleration of Stochastic Approximation by Averaging"), torch.optim.ASGD's order of operations
// (torch 1.13).
//
//   g <- ±g * grad_scale ; g <- g + wd*p (when wd != 0)
//   p <- p * (1 - lambd*eta) ; p <- p - eta*g
//   ax <- ax + (p - ax)*mu   (mu != 1)   else   ax <- p
// eta and mu are the param's float32 scalars, advanced on the host after each step (torch keeps
// them as 0-dim tensors): per tensor [1 - lambd*eta, -eta, mu].
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

enum AsgdFlags : unsigned {
  kAsgdWeightDecay = 1u << 0,
  kAsgdMaximize = 1u << 1,
  kAsgdFlagCount = 1u << 2,
};

struct AsgdHyper {
  float weight_decay;
  float grad_scale;
};

// State: ax.
struct AsgdOp {
  using Hyper = AsgdHyper;
  static constexpr int kStates = 1;
  static constexpr int kTensorScalars = 3;
  static constexpr unsigned kFlagCount = kAsgdFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float* ts) {
    g = g * h.grad_scale;
    if (flags & kAsgdMaximize) g = -g;
    if (flags & kAsgdWeightDecay) g = fmaf(p, h.weight_decay, g);
    p = p * ts[0];
    p = fmaf(g, ts[1], p);
    s[0] = ts[2] != 1.0f ? s[0] + (p - s[0]) * ts[2] : p;
  }
};

}  // namespace math
}  // namespace cuoptim
