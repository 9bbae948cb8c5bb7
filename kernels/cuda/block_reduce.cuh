// kernels/cuda/block_reduce.cuh — reductions across the threads of a block, with a fixed tree
// (warp butterfly by __shfl_xor_sync, then warp results combined in warp order), so the result
// is the same run to run.
#pragma once

#include "../math/common.cuh"
#include "launch.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

// Max of v over each group of `group` consecutive threads (group: a power of two, 32 <= group
// <= blockDim.x). `slots` is shared memory with one float per warp. Every thread of the block
// must call it; each gets its group's max. Values must not be NaN.
// (Shared arrays are template parameters: a pointer under nvcc, the simulator's view otherwise.)
template <typename Slots>
__device__ __forceinline__ float group_max(float v, int group, Slots slots) {
  for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  const int warp = static_cast<int>(threadIdx.x) / 32;
  if (threadIdx.x % 32 == 0) slots[warp] = v;
  __syncthreads();
  const int warps = group / 32;
  const int first = warp / warps * warps;
  float r = slots[first];
  for (int w = 1; w < warps; ++w) r = fmaxf(r, slots[first + w]);
  __syncthreads();  // slots may be reused
  return r;
}

// Sum of each thread's double over the block: a butterfly per warp, then the warps' sums in
// order (the tree the cpu backend reproduces, src-native/cpu/tree_reduce.h). `warp_sums` is
// shared memory with one double per warp. Every thread must call it; thread 0 gets the result.
template <typename Slots>
__device__ __forceinline__ double block_sum(double v, Slots warp_sums) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = v;
  __syncthreads();
  double s = 0.0;
  if (threadIdx.x == 0) {
    for (unsigned w = 0; w < blockDim.x / 32; ++w) s += warp_sums[w];
  }
  __syncthreads();
  return s;
}

// The same tree with a NaN-propagating max (for infinity norms).
template <typename Slots>
__device__ __forceinline__ double block_max(double v, Slots warp_slots) {
  for (int o = 16; o > 0; o >>= 1) v = math::nan_max_d(v, __shfl_xor_sync(0xffffffffu, v, o));
  if (threadIdx.x % 32 == 0) warp_slots[threadIdx.x / 32] = v;
  __syncthreads();
  double m = 0.0;
  if (threadIdx.x == 0) {
    for (unsigned w = 0; w < blockDim.x / 32; ++w) m = math::nan_max_d(m, warp_slots[w]);
  }
  __syncthreads();
  return m;
}

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
