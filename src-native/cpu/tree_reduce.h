// src-native/cpu/tree_reduce.h — the CUDA kernels' block reductions, reproduced on the host:
// a butterfly per warp of 32 (as __shfl_xor_sync does it), then the warps in order. Used by the
// cpu backend wherever a CUDA kernel reduces with block_sum / block_max, so results match bit
// for bit. Internal linkage (static): kernels.inl compiles its own copy per ISA, and no copy built
// with one ISA's instructions may stand in for another's at link time.
#pragma once

#include "../../kernels/math/common.cuh"

namespace cuoptim {
namespace cpu {

// The butterfly over 32 lanes (v_l += v_{l^16}; ...; v_l += v_{l^1}), read at lane 0. Lane 0's
// value at each stage o depends only on lanes l < o, and there l ^ o = l + o: so only those are
// computed, the same 31 combines in the same operand order as on the GPU (of its 160).
template <typename Combine>
static double warp_butterfly(const double* lanes, Combine combine) {
  // Each stage spelled out with a constant bound, so the compiler keeps v in registers.
  double v[16];
  for (int l = 0; l < 16; ++l) v[l] = combine(lanes[l], lanes[l + 16]);
  for (int l = 0; l < 8; ++l) v[l] = combine(v[l], v[l + 8]);
  for (int l = 0; l < 4; ++l) v[l] = combine(v[l], v[l + 4]);
  for (int l = 0; l < 2; ++l) v[l] = combine(v[l], v[l + 2]);
  return combine(v[0], v[1]);
}

// block_sum of `threads` per-thread values (a multiple of 32).
static inline double block_sum(const double* per_thread, int threads) {
  double s = 0.0;
  for (int w = 0; w < threads / 32; ++w) s += warp_butterfly(per_thread + 32 * w, [](double a, double b) { return a + b; });
  return s;
}

// block_max: the NaN-propagating max.
static inline double block_max(const double* per_thread, int threads) {
  double m = 0.0;
  for (int w = 0; w < threads / 32; ++w) m = math::nan_max_d(m, warp_butterfly(per_thread + 32 * w, math::nan_max_d));
  return m;
}

}  // namespace cpu
}  // namespace cuoptim
