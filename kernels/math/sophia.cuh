// kernels/math/sophia.cuh — the per-element SophiaG update and its Hessian moving average (Liu et
// al. 2023, "Sophia: A Scalable Stochastic Second-order Optimizer for Language Model
// Pre-training"), in the order of the authors' implementation (Liuhong99/Sophia, sophia.py):
//
//   step:            g <- ±g * grad_scale;  p <- p*(1 - lr*wd);  m <- b1*m + (1-b1)*g
//                    ratio = min(|m| / (rho*bs*h + 1e-15), 1);  p <- p + (-lr)*sign(m)*ratio
//   update_hessian:  h <- b2*h + (1-b2)*ĥ*ĥ   (ĥ: the gradient of the loss on labels sampled from
//                    the model, the Gauss-Newton-Bartlett estimate; the step's bs scales it)
// As element-wise Ops: SophiaOp's states are m and h; SophiaHessianOp reads ĥ in the gradient
// slot, updates h, and leaves the param as it is.
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

enum SophiaFlags : unsigned {
  kSophiaWeightDecay = 1u << 0,
  kSophiaMaximize = 1u << 1,
  kSophiaFlagCount = 1u << 2,
};

struct SophiaHyper {
  float beta1, one_minus_beta1, rho_bs, eps, neg_lr, decay_factor, grad_scale;
};

// sign(m) as torch.sign: -1, 0 or 1 (NaN stays NaN).
CUOPTIM_MATH_FN float torch_sign(float x) { return x > 0.f ? 1.f : (x < 0.f ? -1.f : x); }

struct SophiaOp {
  using Hyper = SophiaHyper;
  static constexpr int kStates = 2;  // exp_avg, hessian
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = kSophiaFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float*) {
    g = g * h.grad_scale;
    if (flags & kSophiaMaximize) g = -g;
    if (flags & kSophiaWeightDecay) p = p * h.decay_factor;
    s[0] = fmaf(g, h.one_minus_beta1, s[0] * h.beta1);
    float ratio = fabsf(s[0]) / (h.rho_bs * s[1] + h.eps);
    ratio = ratio > 1.f ? 1.f : ratio;  // clamp(max=1); NaN passes through, as in torch
    p = p + h.neg_lr * torch_sign(s[0]) * ratio;
  }
};

struct SophiaHessianHyper {
  float beta2, one_minus_beta2;
};

struct SophiaHessianOp {
  using Hyper = SophiaHessianHyper;
  static constexpr int kStates = 1;  // hessian
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = 1;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned, float&, float g, float* s, const Hyper& h, const float*) {
    s[0] = fmaf(h.one_minus_beta2 * g, g, s[0] * h.beta2);
  }
};

}  // namespace math
}  // namespace cuoptim
