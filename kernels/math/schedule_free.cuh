// kernels/math/schedule_free.cuh — Schedule-Free SGD and AdamW (Defazio et al. 2024, "The Road Less
// Scheduled"), the order of operations of facebookresearch/schedule_free's reference step
// (sgd_schedulefree.py, adamw_schedulefree.py), float32, no fused multiply-adds.
//
// The param holds y, the point gradients are taken at; the state holds z (the SGD / Adam
// iterate); the averaged point x, which is what to evaluate, is never stored: with
// y = (1-β)·z + β·x it is recovered by the mode switch below. One step, c = ckp1:
//   (AdamW) v <- v*β2 + (1-β2)*g*g ;  g <- g / (sqrt(v) + eps)
//   g <- g + wd*y                       (weight decay at y, when wd != 0)
//   y <- y + c*(z - y) ;  y <- y + lr*(β*(1-c) - 1)*g ;  z <- z - lr*g
// Per tensor (host): [c, lr*(β*(1-c) - 1), -lr, fresh]; z starts as a copy of the param (fresh).
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

enum ScheduleFreeFlags : unsigned {
  kScheduleFreeWeightDecay = 1u << 0,
  kScheduleFreeFlagCount = 1u << 1,
};

struct ScheduleFreeHyper {
  float beta2;  // AdamW only
  float one_minus_beta2;
  float eps;
  float weight_decay;
  float grad_scale;
};

CUOPTIM_MATH_FN void schedule_free_iterates(unsigned flags, float& y, float& z, float g, const ScheduleFreeHyper& h, const float* ts) {
  if (ts[3] != 0.0f) z = y;
  if (flags & kScheduleFreeWeightDecay) g = g + h.weight_decay * y;
  y = y + ts[0] * (z - y);
  y = y + ts[1] * g;
  z = z + ts[2] * g;
}

// State: z.
struct SgdScheduleFreeOp {
  using Hyper = ScheduleFreeHyper;
  static constexpr int kStates = 1;
  static constexpr int kTensorScalars = 4;
  static constexpr unsigned kFlagCount = kScheduleFreeFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float* ts) {
    schedule_free_iterates(flags, p, s[0], g * h.grad_scale, h, ts);
  }
};

// States: z, expAvgSq.
struct AdamwScheduleFreeOp {
  using Hyper = ScheduleFreeHyper;
  static constexpr int kStates = 2;
  static constexpr int kTensorScalars = 4;
  static constexpr unsigned kFlagCount = kScheduleFreeFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float* ts) {
    g = g * h.grad_scale;
    s[1] = s[1] * h.beta2 + h.one_minus_beta2 * g * g;
    g = g / (sqrtf(s[1]) + h.eps);
    schedule_free_iterates(flags, p, s[0], g, h, ts);
  }
};

// train() / eval(): the param moves between y and x along the line to z, p <- p + w*(z - p),
// with w = 1 - 1/β (to x) or 1 - β (back to y). No gradient; the state is z.
struct ScheduleFreeModeHyper {
  float weight;
};

struct ScheduleFreeModeOp {
  using Hyper = ScheduleFreeModeHyper;
  static constexpr int kStates = 1;
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = 1;
  static constexpr bool kReadsGrad = false;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned, float& p, float, float* s, const Hyper& h, const float*) {
    p = p + h.weight * (s[0] - p);
  }
};

}  // namespace math
}  // namespace cuoptim
