// kernels/math/ema.cuh — the exponential moving average of weights, per element:
//   shadow <- lerp(shadow, param, 1 - decay)     (torch's lerp_, as torch.optim.swa_utils' EMA)
// As an element-wise Op the shadow takes the "param" slot (written) and the param the "grad"
// slot (only read).
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

struct EmaHyper {
  float weight;  // 1 - decay for this update
};

struct EmaOp {
  using Hyper = EmaHyper;
  static constexpr int kStates = 0;
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = 1;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return false; }
  CUOPTIM_MATH_FN void update(unsigned, float& shadow, float param, float*, const Hyper& h, const float*) {
    shadow = torch_lerp(shadow, param, h.weight);
  }
};

}  // namespace math
}  // namespace cuoptim
