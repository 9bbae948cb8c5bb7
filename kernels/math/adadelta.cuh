// kernels/math/adadelta.cuh — the per-element Adadelta update (Zeiler 2012, "ADADELTA: An
// Adaptive Learning Rate Method"), torch.optim.Adadelta's order of operations (torch 1.13).
//
//   g <- ±g * grad_scale ; g <- g + wd*p (when wd != 0)
//   v <- rho*v + (1 - rho)*g²
//   delta <- sqrt(u + eps) / sqrt(v + eps) * g
//   u <- rho*u + (1 - rho)*delta²
//   p <- p - lr*delta
// addcmul and add-with-alpha fuse in torch's CPU kernels; so do they here.
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

enum AdadeltaFlags : unsigned {
  kAdadeltaWeightDecay = 1u << 0,
  kAdadeltaMaximize = 1u << 1,
  kAdadeltaFlagCount = 1u << 2,
};

struct AdadeltaHyper {
  float neg_lr;
  float rho;
  float one_minus_rho;
  float eps;
  float weight_decay;
  float grad_scale;
};

// States: square_avg, acc_delta.
struct AdadeltaOp {
  using Hyper = AdadeltaHyper;
  static constexpr int kStates = 2;
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = kAdadeltaFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float*) {
    g = g * h.grad_scale;
    if (flags & kAdadeltaMaximize) g = -g;
    if (flags & kAdadeltaWeightDecay) g = fmaf(p, h.weight_decay, g);
    float& square_avg = s[0];
    float& acc_delta = s[1];
    square_avg = fmaf(h.one_minus_rho * g, g, square_avg * h.rho);
    const float std_dev = sqrtf(square_avg + h.eps);
    const float delta = sqrtf(acc_delta + h.eps) / std_dev * g;
    acc_delta = fmaf(h.one_minus_rho * delta, delta, acc_delta * h.rho);
    p = fmaf(delta, h.neg_lr, p);
  }
};

}  // namespace math
}  // namespace cuoptim
