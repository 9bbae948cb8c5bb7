// src-native/cpu/tree_reduce.h — the CUDA kernels' block reductions, reproduced on the host:
// a butterfly per warp of 32 (as __shfl_xor_sync does it), then the warps in order. Used by the
// cpu backend wherever a CUDA kernel reduces with block_sum / block_max, so results match bit
// for bit.
#pragma once

#include "../../kernels/math/common.cuh"

namespace cuoptim {
namespace cpu {

// The butterfly over 32 lanes (v_l += v_{l^16}; ...; v_l += v_{l^1}), read at lane 0.
template <typename Combine>
double warp_butterfly(const double* lanes, Combine combine) {
  double v[32];
  for (int l = 0; l < 32; ++l) v[l] = lanes[l];
  for (int o = 16; o > 0; o >>= 1) {
    double next[32];
    for (int l = 0; l < 32; ++l) next[l] = combine(v[l], v[l ^ o]);
    for (int l = 0; l < 32; ++l) v[l] = next[l];
  }
  return v[0];
}

// block_sum of `threads` per-thread values (a multiple of 32).
inline double block_sum(const double* per_thread, int threads) {
  double s = 0.0;
  for (int w = 0; w < threads / 32; ++w) s += warp_butterfly(per_thread + 32 * w, [](double a, double b) { return a + b; });
  return s;
}

// block_max: the NaN-propagating max.
inline double block_max(const double* per_thread, int threads) {
  double m = 0.0;
  for (int w = 0; w < threads / 32; ++w) m = math::nan_max_d(m, warp_butterfly(per_thread + 32 * w, math::nan_max_d));
  return m;
}

}  // namespace cpu
}  // namespace cuoptim
