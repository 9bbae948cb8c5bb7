// kernels/math/cast.cuh — a copy between storage types: dst <- scale * src, widened on load and
// rounded on store by the element-wise machinery (kernels/math/half.cuh). It is how 16-bit
// tensors reach ops that take float32 (the gradient norm, factored and 8-bit optimizers: widened
// working copies) and come back (rounded to nearest-even or stochastically), and how 16-bit
// gradients are scaled in place (clipping, unscaling).
// As an element-wise Op the destination takes the "param" slot (written) and the source the
// "grad" slot (only read).
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

struct CastHyper {
  float scale;  // 1: an exact copy
};

struct CastOp {
  using Hyper = CastHyper;
  static constexpr int kStates = 0;
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = 1;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return false; }
  CUOPTIM_MATH_FN void update(unsigned, float& dst, float src, float*, const Hyper& h, const float*) { dst = src * h.scale; }
};

// x <- scale * x in place (the "param" slot; no gradient): 16-bit gradients scaled by clipping,
// rounded once.
struct ScaleOp {
  using Hyper = CastHyper;
  static constexpr int kStates = 0;
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = 1;
  static constexpr bool kReadsGrad = false;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return false; }
  CUOPTIM_MATH_FN void update(unsigned, float& x, float, float*, const Hyper& h, const float*) { x = x * h.scale; }
};

// x <- clamp(x, -bound, bound) in place (torch.clamp's NaN rule): 16-bit gradients clipped by
// value. The bound travels as Hyper::scale.
struct ClampOp {
  using Hyper = CastHyper;
  static constexpr int kStates = 0;
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = 1;
  static constexpr bool kReadsGrad = false;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return false; }
  CUOPTIM_MATH_FN void update(unsigned, float& x, float, float*, const Hyper& h, const float*) { x = transform_element(x, kTransformClamp, h.scale); }
};

}  // namespace math
}  // namespace cuoptim
