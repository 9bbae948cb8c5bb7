// kernels/cuda/gemm.cu — a tiled single-precision matrix product (kernels/math/gemm.cuh), up to
// kGemmBatch of them in one launch (Muon's same-shape matrices), and a diagonal add, for
// Shampoo's statistics, preconditioned gradients and inverse roots and Muon's Newton–Schulz. 16x16
// output tiles, one element per thread; A and B tiles staged in shared memory; each element's
// sum runs over k in order, only over real columns of the last tile (padding is never added,
// so a -0 sum stays -0 as on the cpu).
#include "../math/gemm.cuh"
#include "launch.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

namespace gemm_detail {
constexpr int kTile = 16;

__device__ __forceinline__ void gemm_tile(const math::GemmArgs& g) {
  CUOPTIM_SHARED(float, as, [kTile][kTile + 1]);
  CUOPTIM_SHARED(float, bs, [kTile][kTile + 1]);
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
  const int64_t i = static_cast<int64_t>(blockIdx.y) * kTile + ty;
  const int64_t j = static_cast<int64_t>(blockIdx.x) * kTile + tx;
  float acc = 0.f;
  for (int64_t k0 = 0; k0 < g.k; k0 += kTile) {
    as[ty][tx] = i < g.m && k0 + tx < g.k ? math::gemm_a(g, i, k0 + tx) : 0.f;
    bs[ty][tx] = k0 + ty < g.k && j < g.n ? math::gemm_b(g, k0 + ty, j) : 0.f;
    __syncthreads();
    const int kmax = g.k - k0 < kTile ? static_cast<int>(g.k - k0) : kTile;
    for (int kk = 0; kk < kmax; ++kk) acc = fmaf(as[ty][kk], bs[kk][tx], acc);
    __syncthreads();
  }
  if (i < g.m && j < g.n) {
    float* c = g.c + i * g.ldc + j;
    *c = math::gemm_finish(acc, c, g);
  }
}

__global__ void __launch_bounds__(kTile * kTile) gemm_kernel(math::GemmArgs g) { gemm_tile(g); }

static_assert(sizeof(math::GemmBatch) <= 4000, "a batch of products exceeds the kernel-parameter limit");

// blockIdx.z picks the product; tiles beyond a smaller product's m x n do no work (every thread
// of a block still meets gemm_tile's barriers, as their bounds are uniform per block).
__global__ void __launch_bounds__(kTile * kTile) gemm_batched_kernel(math::GemmBatch b) {
  const math::GemmArgs& g = b.g[blockIdx.z];
  if (static_cast<int64_t>(blockIdx.y) * kTile >= g.m || static_cast<int64_t>(blockIdx.x) * kTile >= g.n) return;
  gemm_tile(g);
}

__global__ void add_diagonal_kernel(float* base, int64_t n, int64_t ld, float value) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    base[i * ld + i] += value;
  }
}
}  // namespace gemm_detail

void gemm(const math::GemmArgs& g, StreamHandle stream) {
  using namespace gemm_detail;
  if (g.m == 0 || g.n == 0) return;
  const dim3 grid(static_cast<unsigned>((g.n + kTile - 1) / kTile), static_cast<unsigned>((g.m + kTile - 1) / kTile));
  launch(gemm_kernel, "gemm", grid, dim3(kTile, kTile), 0, stream, g);
}

void gemm_batched(const math::GemmBatch& b, StreamHandle stream) {
  using namespace gemm_detail;
  if (b.count == 0 || b.max_m == 0 || b.max_n == 0) return;
  const dim3 grid(static_cast<unsigned>((b.max_n + kTile - 1) / kTile), static_cast<unsigned>((b.max_m + kTile - 1) / kTile), static_cast<unsigned>(b.count));
  launch(gemm_batched_kernel, "gemm_batched", grid, dim3(kTile, kTile), 0, stream, b);
}

void add_diagonal(float* base, int64_t n, int64_t ld, float value, StreamHandle stream) {
  if (n == 0) return;
  const int64_t blocks = (n + 255) / 256;
  launch(gemm_detail::add_diagonal_kernel, "add_diagonal", dim3(static_cast<unsigned>(blocks < 1024 ? blocks : 1024)), dim3(256), 0, stream, base, n, ld, value);
}

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
