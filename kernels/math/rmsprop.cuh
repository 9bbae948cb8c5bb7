// kernels/math/rmsprop.cuh — the per-element RMSprop update (torch.optim.RMSprop, torch 1.13).
//
//   g <- grad_scale * g ; g <- -g if maximize ; g <- g + wd*p (when wd != 0)
//   v <- alpha*v + (1 - alpha)*g²
//   centered: ḡ <- alpha*ḡ + (1 - alpha)*g ; avg <- sqrt(v - ḡ²) + eps ; else avg <- sqrt(v) + eps
//   momentum > 0: buf <- momentum*buf + g/avg ; p <- p - lr*buf
//   else:         p <- p - lr*g/avg
// addcmul and add-with-alpha fuse in torch's CPU kernels; so do they here.
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

enum RmspropFlags : unsigned {
  kRmspropCentered = 1u << 0,
  kRmspropMomentum = 1u << 1,
  kRmspropWeightDecay = 1u << 2,
  kRmspropMaximize = 1u << 3,
  kRmspropFlagCount = 1u << 4,
};

struct RmspropHyper {
  float neg_lr;
  float alpha;
  float one_minus_alpha;
  float eps;
  float momentum;
  float weight_decay;
  float grad_scale;
};

CUOPTIM_MATH_FN void rmsprop_update(unsigned flags, float& p, float& square_avg, float& grad_avg, float& buf, float g,
                                    const RmspropHyper& h) {
  g = g * h.grad_scale;
  if (flags & kRmspropMaximize) g = -g;
  if (flags & kRmspropWeightDecay) g = fmaf(p, h.weight_decay, g);
  square_avg = fmaf(h.one_minus_alpha * g, g, square_avg * h.alpha);
  float avg;
  if (flags & kRmspropCentered) {
    grad_avg = fmaf(g, h.one_minus_alpha, grad_avg * h.alpha);
    avg = sqrtf(fmaf(-grad_avg, grad_avg, square_avg));
  } else {
    avg = sqrtf(square_avg);
  }
  avg = avg + h.eps;
  if (flags & kRmspropMomentum) {
    buf = buf * h.momentum + g / avg;
    p = fmaf(buf, h.neg_lr, p);
  } else {
    p = p + h.neg_lr * g / avg;
  }
}

// States: square_avg, grad_avg (centered), momentum_buffer (momentum > 0).
struct RmspropOp {
  using Hyper = RmspropHyper;
  static constexpr int kStates = 3;
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = kRmspropFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned flags, int k) {
    return k == 0 || (k == 1 && (flags & kRmspropCentered) != 0) || (k == 2 && (flags & kRmspropMomentum) != 0);
  }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float*) {
    rmsprop_update(flags, p, s[0], s[1], s[2], g, h);
  }
};

}  // namespace math
}  // namespace cuoptim
