// kernels/math/adamw.cuh — the per-element Adam / AdamW update, shared by every backend.
//
// torch.optim.Adam / AdamW (torch 1.13, single-tensor path), for one element at step t:
//   g  <- grad_scale * g ; g <- -g if maximize
//   AdamW: p <- p * (1 - lr*wd)                      (decoupled decay, Loshchilov & Hutter 2019)
//   Adam:  g <- g + wd*p                             (L2 decay, when wd != 0)
//   m  <- b1*m + (1-b1)*g
//   v  <- b2*v + (1-b2)*g*g
//   vmax <- max(vmax, v)                             (AMSGrad; the max replaces v below)
//   p  <- p - (lr / (1-b1^t)) * m / (sqrt(v) / sqrt(1-b2^t) + eps)
// The floating-point operations are torch 1.13's CPU kernels', in their order and with their
// fusions (add with alpha and addcmul are fused multiply-adds there), so results match torch
// bit for bit. The scalars that depend on the step count or the lr (AdamStepScalars) are
// computed by adam_step_scalars: on the host, or for a capturable step on the device
// (kernels/cuda/capturable.cu), in double as torch computes them in Python, rounded once.
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

// Which variant runs. Passed as a compile-time constant by the cpu backend (so each variant's
// loop vectorises without branches) and as a uniform run-time value by the CUDA kernels.
enum AdamFlags : unsigned {
  kAdamDecoupledDecay = 1u << 0,  // AdamW: p *= 1 - lr*wd before the update
  kAdamL2Decay = 1u << 1,         // Adam:  g += wd*p
  kAdamAmsgrad = 1u << 2,
  kAdamMaximize = 1u << 3,
  kAdamFlagCount = 1u << 4,       // number of distinct flag sets
};

// Uniform over a launch (one param group's options).
struct AdamHyper {
  float beta1;
  float beta2;
  float one_minus_beta1;
  float one_minus_beta2;
  float eps;
  float weight_decay;  // L2 coefficient (Adam)
  float grad_scale;    // multiplies the gradient as it is read (clipping / unscaling); 1 = none
};

// Per tensor: depends on that tensor's step count t and on the lr.
struct AdamStepScalars {
  float neg_step_size;          // -lr / (1 - b1^t)
  float bias_correction2_sqrt;  // sqrt(1 - b2^t)
  float decay_factor;           // 1 - lr*wd (AdamW)
};

// torch: step_size = lr / (1 - beta1**t), bias_correction2 = 1 - beta2**t, and AdamW's
// 1 - lr*wd, in double. pow is the one operation here that is not correctly rounded: the host's
// (glibc) and CUDA's (within 2 ulp in double) can differ in the last bit of the double.
CUOPTIM_MATH_FN AdamStepScalars adam_step_scalars(double lr, double beta1, double beta2, double weight_decay, double step) {
  const double bias_correction1 = 1.0 - pow(beta1, step);
  const double bias_correction2 = 1.0 - pow(beta2, step);
  return {static_cast<float>(-(lr / bias_correction1)), static_cast<float>(sqrt(bias_correction2)), static_cast<float>(1.0 - lr * weight_decay)};
}

CUOPTIM_MATH_FN void adam_update(unsigned flags, float& p, float& m, float& v, float& vmax, float g,
                                 const AdamHyper& h, const AdamStepScalars& s) {
  g = g * h.grad_scale;
  if (flags & kAdamMaximize) g = -g;
  if (flags & kAdamDecoupledDecay) p = p * s.decay_factor;
  if (flags & kAdamL2Decay) g = fmaf(p, h.weight_decay, g);
  m = fmaf(g, h.one_minus_beta1, m * h.beta1);
  v = fmaf(h.one_minus_beta2 * g, g, v * h.beta2);
  float second = v;
  if (flags & kAdamAmsgrad) {
    vmax = nan_max(vmax, v);
    second = vmax;
  }
  const float denom = sqrtf(second) / s.bias_correction2_sqrt + h.eps;
  p = p + s.neg_step_size * m / denom;
}

// The element-wise op (see elementwise.cuh): states exp_avg, exp_avg_sq, max_exp_avg_sq;
// per-tensor scalars neg_step_size, bias_correction2_sqrt, decay_factor.
struct AdamOp {
  using Hyper = AdamHyper;
  static constexpr int kStates = 3;
  static constexpr int kTensorScalars = 3;
  static constexpr unsigned kFlagCount = kAdamFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned flags, int k) { return k < 2 || (flags & kAdamAmsgrad) != 0; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float* ts) {
    adam_update(flags, p, s[0], s[1], s[2], g, h, AdamStepScalars{ts[0], ts[1], ts[2]});
  }
};

}  // namespace math
}  // namespace cuoptim
