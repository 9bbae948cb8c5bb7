// kernels/cuda/block_reduce.cuh — reductions across the threads of a block, with a fixed tree
// (warp butterfly by __shfl_xor_sync, then warp results combined in warp order), so the result
// is the same run to run.
#pragma once

#include "launch.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

// Max of v over each group of `group` consecutive threads (group: a power of two, 32 <= group
// <= blockDim.x). `slots` is shared memory with one float per warp. Every thread of the block
// must call it; each gets its group's max. Values must not be NaN.
__device__ __forceinline__ float group_max(float v, int group, float* slots) {
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

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
