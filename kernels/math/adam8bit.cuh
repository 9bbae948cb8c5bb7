// kernels/math/adam8bit.cuh — per-element math of bitsandbytes' blockwise 8-bit optimizers
// (csrc/kernels.cu: kOptimizerStatic8bit2StateBlockwise for Adam/AdamW, ...1StateBlockwise for
// Lion) and of its 32-bit Adam kernel, which bitsandbytes uses for tensors too small to quantize.
//
// 8-bit Adam, per element, with m and v dequantized from the codes (quant8.cuh):
//   g <- grad_scale * g; if g is not finite: m = v = 0 and the param is left alone
//   v <- v*b2 + ((1-b2)*g)*g ;  m <- m*b1 + (1-b1)*g
//   (the block's new absmax1/absmax2 = max |m| / max |v| over the block, then)
//   p <- p + step_size * (m / (sqrt(v) + c2*eps)),  step_size = -lr*c2/c1, c1 = 1-b1^t,
//        c2 = sqrt(1-b2^t)
//   p <- p * (1 - lr*wd)                      (when wd > 0: decoupled, after the step)
//   m, v requantized against the new absmax.
// 8-bit Lion: p <- p*(1-lr*wd); u = sign(m*b1 + (1-b1)*g); m <- m*b2 + (1-b2)*g; p <- p - lr*u;
// a non-finite gradient zeroes m and leaves p alone, as 8-bit Adam does (bitsandbytes' 1-state
// kernel has no such check; here no non-finite value ever reaches the quantized state).
// Both Adam8bit and AdamW8bit are this (bitsandbytes passes "adam" for both); they differ only
// in the default weight decay. Scalars come from the host in double; nothing here is fused, as
// in bitsandbytes' source.
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

struct Adam8bitHyper {
  float beta1, beta2, one_minus_beta1, one_minus_beta2;
  float decay_factor;  // 1 - lr*wd
  float grad_scale;
  int weight_decay;    // wd > 0
};

// Per tensor (its step count): step_size = -lr*c2/c1, eps_scaled = c2*eps.
struct Adam8bitStepScalars {
  float step_size;
  float eps_scaled;
};

// Updates the dequantized moments in place; false (and m = v = 0) for a non-finite gradient.
CUOPTIM_MATH_FN bool adam8bit_moments(float g, float& m, float& v, const Adam8bitHyper& h) {
  g = g * h.grad_scale;
  if (!isfinite(g)) {
    m = 0.0f;
    v = 0.0f;
    return false;
  }
  v = v * h.beta2 + (h.one_minus_beta2 * g) * g;
  m = m * h.beta1 + h.one_minus_beta1 * g;
  return true;
}

CUOPTIM_MATH_FN void adam8bit_param(float& p, float m, float v, const Adam8bitHyper& h, const Adam8bitStepScalars& s) {
  p = p + s.step_size * (m / (sqrtf(v) + s.eps_scaled));
  if (h.weight_decay) p = p * h.decay_factor;
}

struct Lion8bitHyper {
  float neg_lr;
  float beta1, one_minus_beta1, beta2, one_minus_beta2;
  float decay_factor;  // 1 - lr*wd
  float grad_scale;
  int weight_decay;
};

// Updates p and the dequantized moment m (bitsandbytes' 1-state LION case).
CUOPTIM_MATH_FN void lion8bit_update(float g, float& p, float& m, const Lion8bitHyper& h) {
  g = g * h.grad_scale;
  if (!isfinite(g)) {
    m = 0.0f;
    return;
  }
  if (h.weight_decay) p = p * h.decay_factor;
  const float c = m * h.beta1 + h.one_minus_beta1 * g;
  const float u = c > 0.0f ? 1.0f : (c < 0.0f ? -1.0f : 0.0f);
  m = m * h.beta2 + h.one_minus_beta2 * g;
  p = p + h.neg_lr * u;
}

// bitsandbytes' 32-bit Adam (kOptimizer32bit2State), which its 8-bit optimizers use for tensors
// below min_8bit_size: as above but v <- v*b2 + (1-b2)*(g*g), no finiteness check.
struct AdamBnb32Op {
  using Hyper = Adam8bitHyper;
  static constexpr int kStates = 2;  // state1 (m), state2 (v)
  static constexpr int kTensorScalars = 2;
  static constexpr unsigned kFlagCount = 1;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned, float& p, float g, float* s, const Hyper& h, const float* ts) {
    g = g * h.grad_scale;
    s[0] = s[0] * h.beta1 + h.one_minus_beta1 * g;
    s[1] = s[1] * h.beta2 + h.one_minus_beta2 * (g * g);
    p = p + ts[0] * (s[0] / (sqrtf(s[1]) + ts[1]));
    if (h.weight_decay) p = p * h.decay_factor;
  }
};

}  // namespace math
}  // namespace cuoptim
