// kernels/math/lookahead.cuh — Lookahead's synchronisation of slow and fast weights (Zhang et al.
// 2019, "Lookahead Optimizer: k steps forward, 1 step back"), every k inner steps:
//   slow <- slow + (fast - slow) * alpha;  fast <- slow
// as the reference implementations write it (`slow += (fast - slow) * alpha`). As an element-wise
// Op the fast weights take the param slot and the slow weights the one state; no gradient.
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

struct LookaheadHyper {
  float alpha;
};

struct LookaheadOp {
  using Hyper = LookaheadHyper;
  static constexpr int kStates = 1;
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = 1;
  static constexpr bool kReadsGrad = false;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned, float& fast, float, float* s, const Hyper& h, const float*) {
    s[0] = s[0] + (fast - s[0]) * h.alpha;
    fast = s[0];
  }
};

}  // namespace math
}  // namespace cuoptim
