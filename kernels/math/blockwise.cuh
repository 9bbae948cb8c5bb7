// kernels/math/blockwise.cuh — the blockwise 8-bit optimizers every backend runs, as one list.
//
// A blockwise optimizer is a "Rule" with:
//   Hyper, StepScalars (kTensorScalars floats per tensor)
//   kStates                  quantized states (codes + one absmax per block each)
//   is_signed(k)             whether state k uses the signed map
//   update(g, p, s, h, ts)   per element, on dequantized states s[k]; returns nothing
// After update, each block's new absmax per state is max |s_k| over the block's elements, and
// the states are requantized against it (quant8.cuh). The CUDA functor (kernels/cuda/blockwise.cuh)
// and the cpu loop are written once; CUOPTIM_BLOCKWISE_OPS lists the rules.
#pragma once

#include "adam8bit.cuh"
#include "ademamix.cuh"
#include "quant8.cuh"

namespace cuoptim {
namespace math {

inline constexpr int kMinQuantBlock = 64;
inline constexpr int kMaxQuantBlock = 4096;
inline constexpr int kMaxBlockwiseStates = 3;  // quantized states per param (AdEMAMix8bit: m1, ν, m2)

struct Adam8bitRule {
  using Hyper = Adam8bitHyper;
  static constexpr int kStates = 2;
  static constexpr int kTensorScalars = 2;
  __host__ __device__ static constexpr bool is_signed(int k) { return k == 0; }
  CUOPTIM_MATH_FN void update(float g, float& p, float* s, const Hyper& h, const float* ts) {
    if (adam8bit_moments(g, s[0], s[1], h)) adam8bit_param(p, s[0], s[1], h, Adam8bitStepScalars{ts[0], ts[1]});
  }
};

struct Lion8bitRule {
  using Hyper = Lion8bitHyper;
  static constexpr int kStates = 1;
  static constexpr int kTensorScalars = 0;
  __host__ __device__ static constexpr bool is_signed(int) { return true; }
  CUOPTIM_MATH_FN void update(float g, float& p, float* s, const Hyper& h, const float*) { lion8bit_update(g, p, s[0], h); }
};

// bitsandbytes' AdEMAMix8bit (kOptimizerStatic8bit2StateBlockwise, ADEMAMIX): states m1
// (signed), nu (unsigned), m2 (signed; bitsandbytes packs it behind m1 in state1); the update is
// the 32-bit one's (ademamix.cuh) on the dequantized states, except that a non-finite gradient
// zeroes the element's states and leaves its param alone, as 8-bit Adam. Per tensor: [c1, c2, α_t,
// β3_t].
struct Ademamix8bitRule {
  using Hyper = AdemamixHyper;
  static constexpr int kStates = 3;
  static constexpr int kTensorScalars = 4;
  __host__ __device__ static constexpr bool is_signed(int k) { return k != 1; }
  CUOPTIM_MATH_FN void update(float g, float& p, float* s, const Hyper& h, const float* ts) {
    g = g * h.grad_scale;
    if (!isfinite(g)) {
      s[0] = s[1] = s[2] = 0.0f;
      return;
    }
    const float beta3 = ts[3];
    s[1] = s[1] * h.beta2 + (1.0f - h.beta2) * g * g;
    s[0] = s[0] * h.beta1 + (1.0f - h.beta1) * g;
    s[2] = s[2] * beta3 + (1.0f - beta3) * g;
    p = p - h.lr * ((s[0] / ts[0] + ts[2] * s[2]) / (sqrtf(s[1]) / ts[1] + h.eps));
    if (h.decay_factor != 1.0f) p = p * h.decay_factor;
  }
};

}  // namespace math
}  // namespace cuoptim

#define CUOPTIM_BLOCKWISE_OPS(X)            \
  X(adam8bit, ::cuoptim::math::Adam8bitRule) \
  X(lion8bit, ::cuoptim::math::Lion8bitRule) \
  X(ademamix8bit, ::cuoptim::math::Ademamix8bitRule)
