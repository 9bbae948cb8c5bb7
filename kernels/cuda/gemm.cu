// kernels/cuda/gemm.cu — a tiled single-precision matrix product (kernels/math/gemm.cuh), up to
// kGemmBatch of them in one launch (Muon's same-shape matrices), and a diagonal add, for
// Shampoo's statistics, preconditioned gradients and inverse roots and Muon's Newton–Schulz.
// 64x64 output tiles, 4x4 outputs per thread in registers; A and B staged in shared memory 16
// k-values at a time with coalesced loads; each element's sum runs over k in order, only over
// real columns of the last tile (padding is never added, so a -0 sum stays -0 as on the cpu).
#include "../math/gemm.cuh"
#include "launch.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

namespace gemm_detail {
// A block computes a kTile x kTile tile of C with kThreads x kThreads threads, each thread
// kPerThread x kPerThread outputs held in registers: rows ty + kThreads*r, columns
// tx + kThreads*c, so a warp's shared-memory reads of B are consecutive (no bank conflicts) and
// its reads of A are broadcasts. The k dimension is staged kTileK at a time.
constexpr int kThreads = 16;
constexpr int kPerThread = 4;
constexpr int kTile = kThreads * kPerThread;  // 64
constexpr int kTileK = 16;
constexpr int kBlockThreads = kThreads * kThreads;
constexpr int kLoads = kTile * kTileK / kBlockThreads;  // elements of each tile a thread stages

// Stages op(A)[i0 .., k0 ..] as as[kk][row] and op(B)[k0 .., j0 ..] as bs[kk][col] (zero past the
// edges). Consecutive threads read consecutive addresses of the stored layout: along k when the
// operand is stored with k contiguous (A plain, B transposed), along rows / columns otherwise.
// The +1 column of padding keeps the transposing stores free of bank conflicts.
template <typename Tile>  // float (*)[kTile + 1] in shared memory
__device__ __forceinline__ void stage(const math::GemmArgs& g, int64_t i0, int64_t j0, int64_t k0, int t, Tile as, Tile bs) {
  CUOPTIM_UNROLL
  for (int l = 0; l < kLoads; ++l) {
    const int along_k = !g.trans_a;
    const int kk = along_k ? t % kTileK : t / kTile + l * (kBlockThreads / kTile);
    const int row = along_k ? t / kTileK + l * (kBlockThreads / kTileK) : t % kTile;
    const int64_t i = i0 + row, k = k0 + kk;
    as[kk][row] = i < g.m && k < g.k ? math::gemm_a(g, i, k) : 0.f;
  }
  CUOPTIM_UNROLL
  for (int l = 0; l < kLoads; ++l) {
    const int along_k = g.trans_b;
    const int kk = along_k ? t % kTileK : t / kTile + l * (kBlockThreads / kTile);
    const int col = along_k ? t / kTileK + l * (kBlockThreads / kTileK) : t % kTile;
    const int64_t j = j0 + col, k = k0 + kk;
    bs[kk][col] = k < g.k && j < g.n ? math::gemm_b(g, k, j) : 0.f;
  }
}

__device__ __forceinline__ void gemm_tile(const math::GemmArgs& g) {
  CUOPTIM_SHARED(float, as, [kTileK][kTile + 1]);
  CUOPTIM_SHARED(float, bs, [kTileK][kTile + 1]);
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
  const int t = ty * kThreads + tx;
  const int64_t i0 = static_cast<int64_t>(blockIdx.y) * kTile;
  const int64_t j0 = static_cast<int64_t>(blockIdx.x) * kTile;
  float acc[kPerThread][kPerThread];
  CUOPTIM_UNROLL
  for (int r = 0; r < kPerThread; ++r) {
    CUOPTIM_UNROLL
    for (int c = 0; c < kPerThread; ++c) acc[r][c] = 0.f;
  }
  for (int64_t k0 = 0; k0 < g.k; k0 += kTileK) {
    stage(g, i0, j0, k0, t, as, bs);
    __syncthreads();
    // Only the real k of the last tile: a padded 0 * 0 would turn a -0 sum into +0.
    const int kmax = g.k - k0 < kTileK ? static_cast<int>(g.k - k0) : kTileK;
    for (int kk = 0; kk < kmax; ++kk) {
      float a[kPerThread], b[kPerThread];
      CUOPTIM_UNROLL
      for (int r = 0; r < kPerThread; ++r) a[r] = as[kk][ty + kThreads * r];
      CUOPTIM_UNROLL
      for (int c = 0; c < kPerThread; ++c) b[c] = bs[kk][tx + kThreads * c];
      CUOPTIM_UNROLL
      for (int r = 0; r < kPerThread; ++r) {
        CUOPTIM_UNROLL
        for (int c = 0; c < kPerThread; ++c) acc[r][c] = fmaf(a[r], b[c], acc[r][c]);
      }
    }
    __syncthreads();
  }
  CUOPTIM_UNROLL
  for (int r = 0; r < kPerThread; ++r) {
    const int64_t i = i0 + ty + kThreads * r;
    CUOPTIM_UNROLL
    for (int c = 0; c < kPerThread; ++c) {
      const int64_t j = j0 + tx + kThreads * c;
      if (i < g.m && j < g.n) {
        float* out = g.c + i * g.ldc + j;
        *out = math::gemm_finish(acc[r][c], out, g);
      }
    }
  }
}

__global__ void __launch_bounds__(kBlockThreads) gemm_kernel(math::GemmArgs g) { gemm_tile(g); }

static_assert(sizeof(math::GemmBatch) <= 4000, "a batch of products exceeds the kernel-parameter limit");

// blockIdx.z picks the product; tiles beyond a smaller product's m x n do no work (every thread
// of a block still meets gemm_tile's barriers, as their bounds are uniform per block).
__global__ void __launch_bounds__(kBlockThreads) gemm_batched_kernel(math::GemmBatch b) {
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
  launch(gemm_kernel, "gemm", grid, dim3(kThreads, kThreads), 0, stream, g);
}

void gemm_batched(const math::GemmBatch& b, StreamHandle stream) {
  using namespace gemm_detail;
  if (b.count == 0 || b.max_m == 0 || b.max_n == 0) return;
  const dim3 grid(static_cast<unsigned>((b.max_n + kTile - 1) / kTile), static_cast<unsigned>((b.max_m + kTile - 1) / kTile), static_cast<unsigned>(b.count));
  launch(gemm_batched_kernel, "gemm_batched", grid, dim3(kThreads, kThreads), 0, stream, b);
}

void add_diagonal(float* base, int64_t n, int64_t ld, float value, StreamHandle stream) {
  if (n == 0) return;
  const int64_t blocks = (n + 255) / 256;
  launch(gemm_detail::add_diagonal_kernel, "add_diagonal", dim3(static_cast<unsigned>(blocks < 1024 ? blocks : 1024)), dim3(256), 0, stream, base, n, ld, value);
}

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
