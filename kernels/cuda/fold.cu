// kernels/cuda/fold.cu — the reduction step of cuoptim/distributed's collectives on device
// memory: every rank's block of `count` elements, side by side, folded in rank order into `out`
// (kernels/math/fold.cuh). One thread per element, a grid-stride loop.
#include "launch.cuh"
#include "launchers.h"
#include "../math/fold.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

namespace fold_detail {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 1024;

__global__ void fold_ranks_kernel(const void* blocks, void* out, int ranks, int64_t count, unsigned type, int op) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < count; i += static_cast<int64_t>(gridDim.x) * kThreads) {
    math::fold_element(blocks, out, ranks, count, type, op, i);
  }
}

}  // namespace fold_detail

void fold_ranks(const FoldArgs& a, StreamHandle stream) {
  if (a.count == 0) return;
  const int64_t wanted = (a.count + fold_detail::kThreads - 1) / fold_detail::kThreads;
  const unsigned grid = static_cast<unsigned>(wanted < fold_detail::kMaxBlocks ? wanted : fold_detail::kMaxBlocks);
  launch(fold_detail::fold_ranks_kernel, "fold_ranks", dim3(grid), dim3(fold_detail::kThreads), 0, stream, a.blocks, a.out, a.ranks, a.count, a.type, a.op);
}

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
