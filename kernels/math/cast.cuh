// kernels/math/cast.cuh — a copy between storage types: dst <- scale * src, widened on load and
// rounded on store by the element-wise machinery (kernels/math/half.cuh). It is how 16-bit
// tensors reach ops that take float32 (the gradient norm, factored and 8-bit optimizers: widened
// working copies) and come back (rounded to nearest-even or stochastically); Transform16Op
// scales or clamps 16-bit gradients in place (clipping); AxpyOp is y <- y + alpha*x, torch's
// y.add_(x, alpha=alpha) (a fused multiply-add there), for LBFGS's vector recursions.
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

// In place, no gradient (the "param" slot): x <- scale * x (flags 0), or x <- clamp(x, -scale,
// scale) with torch.clamp's NaN rule (flags 1): 16-bit gradients clipped, rounded once.
struct Transform16Op {
  using Hyper = CastHyper;
  static constexpr int kStates = 0;
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = 2;  // math::TransformKind
  static constexpr bool kReadsGrad = false;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return false; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& x, float, float*, const Hyper& h, const float*) {
    x = transform_element(x, static_cast<int>(flags), h.scale);
  }
};

// y (the "param" slot) <- fma(x, alpha, y), x in the "grad" slot; alpha is options.gradScale.
struct AxpyOp {
  using Hyper = CastHyper;
  static constexpr int kStates = 0;
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = 1;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return false; }
  CUOPTIM_MATH_FN void update(unsigned, float& y, float x, float*, const Hyper& h, const float*) { y = fmaf(x, h.scale, y); }
};

}  // namespace math
}  // namespace cuoptim
