// kernels/math/sgd.cuh — the per-element SGD update (torch.optim.SGD, torch 1.13 semantics).
//
//   g <- grad_scale * g ; g <- -g if maximize ; g <- g + wd*p (when wd != 0)
//   momentum: buf <- g on the buffer's first step (a copy of the raw g, torch's rule),
//             else buf <- momentum*buf + (1 - dampening)*g
//             nesterov: g <- g + momentum*buf, else g <- buf
//   p <- p - lr*g
// add-with-alpha is a fused multiply-add in torch's CPU kernels, and here.
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

enum SgdFlags : unsigned {
  kSgdMomentum = 1u << 0,
  kSgdNesterov = 1u << 1,
  kSgdWeightDecay = 1u << 2,
  kSgdMaximize = 1u << 3,
  kSgdFlagCount = 1u << 4,
};

struct SgdHyper {
  float neg_lr;
  float momentum;
  float one_minus_dampening;
  float weight_decay;
  float grad_scale;
};

// fresh_buffer: 1 on the momentum buffer's first step (it takes g as is), else 0.
CUOPTIM_MATH_FN void sgd_update(unsigned flags, float& p, float& buf, float g, const SgdHyper& h, float fresh_buffer) {
  g = g * h.grad_scale;
  if (flags & kSgdMaximize) g = -g;
  if (flags & kSgdWeightDecay) g = fmaf(p, h.weight_decay, g);
  if (flags & kSgdMomentum) {
    buf = fresh_buffer != 0.0f ? g : fmaf(g, h.one_minus_dampening, buf * h.momentum);
    g = (flags & kSgdNesterov) ? fmaf(buf, h.momentum, g) : buf;
  }
  p = fmaf(g, h.neg_lr, p);
}

// State: momentum_buffer. Per-tensor scalar: fresh_buffer.
struct SgdOp {
  using Hyper = SgdHyper;
  static constexpr int kStates = 1;
  static constexpr int kTensorScalars = 1;
  static constexpr unsigned kFlagCount = kSgdFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned flags, int) { return (flags & kSgdMomentum) != 0; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float* ts) {
    sgd_update(flags, p, s[0], g, h, ts[0]);
  }
};

}  // namespace math
}  // namespace cuoptim
