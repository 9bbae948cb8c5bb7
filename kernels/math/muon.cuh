// kernels/math/muon.cuh — the element-wise parts of Muon (Jordan et al. 2024; torch.optim.Muon,
// torch >= 2.9), float32, no fused multiply-adds; the Newton–Schulz orthogonalisation between
// them runs on cuoptim's matrix product (src-ts/optim/muon.ts).
//
// muon_momentum:  g <- g * grad_scale
//                 buf <- lerp(buf, g, 1-μ)
//                 u <- nesterov ? lerp(g, buf, μ) : buf          (the matrix to orthogonalise)
// muon_apply:     θ <- θ * (1 - lr*wd) ;  θ <- θ + (-lr_adj) * O  (O: the orthogonalised u)
// lerp(a, b, w) is torch's (common.cuh torch_lerp): a + w*(b - a) for |w| < 0.5, else b - (b - a)*(1 - w).
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

enum MuonFlags : unsigned {
  kMuonNesterov = 1u << 0,
  kMuonFlagCount = 1u << 1,
};

struct MuonMomentumHyper {
  float momentum;            // μ
  float one_minus_momentum;  // 1 - μ (as torch passes it, a float of the double)
  float grad_scale;
};

// States: momentumBuffer, update (a step temporary).
struct MuonMomentumOp {
  using Hyper = MuonMomentumHyper;
  static constexpr int kStates = 2;
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = kMuonFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned flags, float&, float g, float* s, const Hyper& h, const float*) {
    g = g * h.grad_scale;
    s[0] = torch_lerp(s[0], g, h.one_minus_momentum);
    s[1] = (flags & kMuonNesterov) ? torch_lerp(g, s[0], h.momentum) : s[0];
  }
};

enum MuonApplyFlags : unsigned {
  kMuonWeightDecay = 1u << 0,
  kMuonApplyFlagCount = 1u << 1,
};

struct MuonApplyHyper {
  float decay_factor;  // 1 - lr*wd
};

// State: the orthogonalised update (read). Per tensor: [-lr_adj].
struct MuonApplyOp {
  using Hyper = MuonApplyHyper;
  static constexpr int kStates = 1;
  static constexpr int kTensorScalars = 1;
  static constexpr unsigned kFlagCount = kMuonApplyFlagCount;
  static constexpr bool kReadsGrad = false;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float, float* s, const Hyper& h, const float* ts) {
    if (flags & kMuonWeightDecay) p = p * h.decay_factor;
    p = p + ts[0] * s[0];
  }
};

}  // namespace math
}  // namespace cuoptim
