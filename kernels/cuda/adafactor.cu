// kernels/cuda/adafactor.cu — Adafactor (both variants of kernels/math/adafactor.cuh) with
// factored second moments: O(rows + cols) state per matrix.
//
// Per tensor, five launches and three passes over the gradient (the fewest the algorithm allows
// without an O(n) buffer: U's RMS must be known before any param moves, and U needs the finished
// row and column statistics):
//   1. stats     (reads g and p)  tile partials of the row and column sums of g² and of sum p²;
//                                 a vector's second moment is updated here, element-wise
//   2. finalize                   row/col sums -> means -> moving averages, mean of R per slice,
//                                 sum of p²
//   3. rms_u     (reads g)        tile partials of sum U²
//   4. scalars                    sum U², then the step size / clip from the two sums
//   5. update    (reads g and p)  p (and the first moment) from U
// CAME replaces step 5 with three more launches (the instability needs the first moment, which
// needs U's RMS):
//   5. came_res  (reads g)        the first moment (written) and tile partials of the row and
//                                 column sums of the instability (U - m)² + eps
//   6. came_finalize_res          the instability's moving averages and mean_r per slice
//   7. came_update (reads m, p)   p from the first moment and the instability statistics
// Every sum follows the tree in adafactor.cuh, in double; the cpu backend follows it too.
#include "../op_args.h"
#include "../math/adafactor.cuh"
#include "block_reduce.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

namespace adafactor_detail {

using math::AdafactorHyper;
using math::AdafactorStepScalars;
using math::AdafactorTensorScalars;
constexpr int kThreads = math::kAdafactorStrip;
constexpr int kWarps = math::kAdafactorWarps;

struct Scratch {
  double* row_partials;
  double* col_partials;
  double* tile_p2;
  double* tile_u2;
  float* r_mean;
  AdafactorTensorScalars* scalars;

  // The simulator checks each of these is device memory (kernels/sim/device_registry.h).
  template <typename F>
  void for_each_device_pointer(F&& f) const {
    f(row_partials, "row_partials");
    f(col_partials, "col_partials");
    f(tile_p2, "tile_p2");
    f(tile_u2, "tile_u2");
    f(r_mean, "r_mean");
    f(scalars, "scalars");
  }
};

// Which tile this block is, and the row range and column it covers.
struct Tile {
  int64_t b, seg, strip, c, r0, r1;
  bool valid_col;
  __device__ __forceinline__ Tile(const AdafactorTensor& t) {
    const int64_t strips = t.strips(), segs = t.segments();
    const int64_t tile = blockIdx.x;
    strip = tile % strips;
    seg = tile / strips % segs;
    b = tile / (strips * segs);
    c = strip * kThreads + threadIdx.x;
    valid_col = c < t.cols;
    r0 = seg * math::kAdafactorSegRows;
    r1 = r0 + math::kAdafactorSegRows < t.rows ? r0 + math::kAdafactorSegRows : t.rows;
  }
};

__device__ __forceinline__ double warp_butterfly(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// A tile's row sums (its warps' butterflies, in warp order) and per-column sums into the partials.
template <typename RowParts>  // double [kAdafactorSegRows][kWarps] in shared memory
__device__ __forceinline__ void store_partials(const AdafactorTensor& t, const Tile& tile, RowParts row_parts, double col_acc,
                                               const Scratch& s) {
  __syncthreads();
  for (int64_t r = tile.r0 + threadIdx.x; r < tile.r1; r += kThreads) {
    double sum = 0.0;
    for (int w = 0; w < kWarps; ++w) sum += row_parts[r - tile.r0][w];
    s.row_partials[(tile.b * t.rows + r) * t.strips() + tile.strip] = sum;
  }
  if (tile.valid_col) s.col_partials[(tile.b * t.segments() + tile.seg) * t.cols + tile.c] = col_acc;
}

// One block per slice b: row (column) partial sums added in order, each mean fed through `ema`
// into row[] (col[]), then mean_r of the rows into r_mean.
template <typename Ema>
__device__ __forceinline__ void finish_factored(const AdafactorTensor& t, const Scratch& s, int64_t b, float* row, float* col, Ema ema) {
  for (int64_t r = threadIdx.x; r < t.rows; r += kThreads) {
    double sum = 0.0;
    for (int64_t k = 0; k < t.strips(); ++k) sum += s.row_partials[(b * t.rows + r) * t.strips() + k];
    row[b * t.rows + r] = ema(row[b * t.rows + r], static_cast<float>(sum / static_cast<double>(t.cols)));
  }
  for (int64_t c = threadIdx.x; c < t.cols; c += kThreads) {
    double sum = 0.0;
    for (int64_t k = 0; k < t.segments(); ++k) sum += s.col_partials[(b * t.segments() + k) * t.cols + c];
    col[b * t.cols + c] = ema(col[b * t.cols + c], static_cast<float>(sum / static_cast<double>(t.rows)));
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    double sum = 0.0;
    for (int64_t r = 0; r < t.rows; ++r) sum += row[b * t.rows + r];
    s.r_mean[b] = static_cast<float>(sum / static_cast<double>(t.rows));
  }
}

__global__ void __launch_bounds__(kThreads) stats_kernel(AdafactorTensor t, AdafactorHyper h, Scratch s) {
  CUOPTIM_SHARED(double, row_parts, [math::kAdafactorSegRows][kWarps]);
  CUOPTIM_SHARED(double, warp_sums, [kWarps]);
  const Tile tile(t);
  double col_acc = 0.0, p2 = 0.0;
  for (int64_t r = tile.r0; r < tile.r1; ++r) {
    const int64_t i = (tile.b * t.rows + r) * t.cols + tile.c;
    const float p = tile.valid_col ? t.param[i] : 0.f;
    p2 += static_cast<double>(p) * p;
    const float g = tile.valid_col ? math::adafactor_grad(t.grad[i], h) : 0.f;
    const float q = tile.valid_col ? math::adafactor_q(g, h) : 0.f;
    if (t.factored) {
      col_acc += q;
      const double w = warp_butterfly(q);
      if (threadIdx.x % 32 == 0) row_parts[r - tile.r0][threadIdx.x / 32] = w;
    } else if (tile.valid_col) {
      t.variance[i] = math::adafactor_ema(t.variance[i], q, h, t.step);
    }
  }
  if (t.factored) store_partials(t, tile, row_parts, col_acc, s);
  const double total = block_sum(p2, warp_sums);
  if (threadIdx.x == 0) s.tile_p2[blockIdx.x] = total;
}

// One block per slice: the row and column moving averages, then mean_r(R). Block 0 also sums p².
__global__ void __launch_bounds__(kThreads) finalize_kernel(AdafactorTensor t, AdafactorHyper h, Scratch s) {
  const int64_t b = blockIdx.x;
  if (t.factored) {
    const math::AdafactorStepScalars step = t.step;
    finish_factored(t, s, b, t.row, t.col, [&](float x, float mean) { return math::adafactor_ema(x, mean, h, step); });
  }
  if (b == 0 && threadIdx.x == 0) {
    double sum = 0.0;
    for (int64_t k = 0; k < t.tiles(); ++k) sum += s.tile_p2[k];
    s.scalars->sum_p2 = sum;
  }
}

// U of element i (row r, column c of slice b), from the finished statistics.
__device__ __forceinline__ float element_u(const AdafactorTensor& t, const AdafactorHyper& h, const Scratch& s, int64_t b,
                                           int64_t r, int64_t c, int64_t i) {
  const float g = math::adafactor_grad(t.grad[i], h);
  if (t.factored) return math::adafactor_u(g, t.row[b * t.rows + r], t.col[b * t.cols + c], s.r_mean[b], true, h);
  return math::adafactor_u(g, t.variance[i], 0.f, 0.f, false, h);
}

__global__ void __launch_bounds__(kThreads) rms_u_kernel(AdafactorTensor t, AdafactorHyper h, Scratch s) {
  CUOPTIM_SHARED(double, warp_sums, [kWarps]);
  const Tile tile(t);
  double u2 = 0.0;
  if (tile.valid_col) {
    for (int64_t r = tile.r0; r < tile.r1; ++r) {
      const float u = element_u(t, h, s, tile.b, r, tile.c, (tile.b * t.rows + r) * t.cols + tile.c);
      u2 += static_cast<double>(u) * u;
    }
  }
  const double total = block_sum(u2, warp_sums);
  if (threadIdx.x == 0) s.tile_u2[blockIdx.x] = total;
}

__global__ void scalars_kernel(AdafactorTensor t, AdafactorHyper h, Scratch s) {
  double sum = 0.0;
  for (int64_t k = 0; k < t.tiles(); ++k) sum += s.tile_u2[k];
  s.scalars->sum_u2 = sum;
  math::adafactor_finish_scalars(*s.scalars, static_cast<double>(t.numel()), h, t.step);
}

__global__ void __launch_bounds__(kThreads) update_kernel(AdafactorTensor t, AdafactorHyper h, Scratch s) {
  const AdafactorTensorScalars sc = *s.scalars;
  const int64_t n = t.numel();
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * kThreads) {
    const int64_t c = i % t.cols, r = i / t.cols % t.rows, b = i / (t.cols * t.rows);
    const float u = element_u(t, h, s, b, r, c, i);
    float m = t.exp_avg ? t.exp_avg[i] : 0.f;
    math::adafactor_apply(t.param[i], m, u, h, sc);
    if (t.exp_avg) t.exp_avg[i] = m;
  }
}

// CAME pass 5: m <- b1*m + (1-b1)*U/clip, and the instability's row/column tile partials, with the
// stats pass's tree (the scratch's row/column partials are free again after finalize).
__global__ void __launch_bounds__(kThreads) came_res_kernel(AdafactorTensor t, AdafactorHyper h, Scratch s) {
  CUOPTIM_SHARED(double, row_parts, [math::kAdafactorSegRows][kWarps]);
  const Tile tile(t);
  const AdafactorTensorScalars sc = *s.scalars;
  double col_acc = 0.0;
  for (int64_t r = tile.r0; r < tile.r1; ++r) {
    const int64_t i = (tile.b * t.rows + r) * t.cols + tile.c;
    float res = 0.f;
    if (tile.valid_col) {
      float m = t.exp_avg[i];
      res = math::came_moment_and_res(element_u(t, h, s, tile.b, r, tile.c, i), m, h, sc);
      t.exp_avg[i] = m;
    }
    if (t.factored) {
      col_acc += res;
      const double w = warp_butterfly(res);
      if (threadIdx.x % 32 == 0) row_parts[r - tile.r0][threadIdx.x / 32] = w;
    }
  }
  if (t.factored) store_partials(t, tile, row_parts, col_acc, s);
}

// CAME pass 6, one block per slice: S and T from the partials, then mean_r(S) into r_mean.
__global__ void __launch_bounds__(kThreads) came_finalize_res_kernel(AdafactorTensor t, AdafactorHyper h, Scratch s) {
  finish_factored(t, s, blockIdx.x, t.res_row, t.res_col, [&](float x, float mean) { return math::came_res_ema(x, mean, h); });
}

// CAME pass 7: the param update.
__global__ void __launch_bounds__(kThreads) came_update_kernel(AdafactorTensor t, AdafactorHyper h, Scratch s) {
  const int64_t n = t.numel();
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * kThreads) {
    const int64_t c = i % t.cols, r = i / t.cols % t.rows, b = i / (t.cols * t.rows);
    if (t.factored) {
      math::came_apply(t.param[i], t.exp_avg[i], t.res_row[b * t.rows + r], t.res_col[b * t.cols + c], s.r_mean[b], true, h);
    } else {
      math::came_apply(t.param[i], t.exp_avg[i], 0.f, 0.f, 0.f, false, h);
    }
  }
}

}  // namespace adafactor_detail

// One Adafactor step of one tensor; `workspace` holds AdafactorWorkspace::layout(t).bytes.
void adafactor_tensor(const AdafactorTensor& t, const math::AdafactorHyper& h, void* workspace, StreamHandle stream) {
  using namespace adafactor_detail;
  const AdafactorWorkspace w = AdafactorWorkspace::layout(t);
  char* base = static_cast<char*>(workspace);
  const Scratch s{reinterpret_cast<double*>(base + w.row_partials), reinterpret_cast<double*>(base + w.col_partials),
                  reinterpret_cast<double*>(base + w.tile_p2),      reinterpret_cast<double*>(base + w.tile_u2),
                  reinterpret_cast<float*>(base + w.r_mean),        reinterpret_cast<math::AdafactorTensorScalars*>(base + w.scalars)};
  const dim3 tiles(static_cast<unsigned>(t.tiles()));
  const int64_t update_blocks = (t.numel() + kThreads - 1) / kThreads;
  const dim3 updates(static_cast<unsigned>(update_blocks < 65536 ? update_blocks : 65536));
  launch(stats_kernel, "adafactor_stats", tiles, dim3(kThreads), 0, stream, t, h, s);
  launch(finalize_kernel, "adafactor_finalize", dim3(static_cast<unsigned>(t.batch)), dim3(kThreads), 0, stream, t, h, s);
  launch(rms_u_kernel, "adafactor_rms_u", tiles, dim3(kThreads), 0, stream, t, h, s);
  launch(scalars_kernel, "adafactor_scalars", dim3(1), dim3(1), 0, stream, t, h, s);
  if (h.variant != math::kAdafactorCame) {
    launch(update_kernel, "adafactor_update", updates, dim3(kThreads), 0, stream, t, h, s);
    return;
  }
  launch(came_res_kernel, "came_res", tiles, dim3(kThreads), 0, stream, t, h, s);
  if (t.factored) launch(came_finalize_res_kernel, "came_finalize_res", dim3(static_cast<unsigned>(t.batch)), dim3(kThreads), 0, stream, t, h, s);
  launch(came_update_kernel, "came_update", updates, dim3(kThreads), 0, stream, t, h, s);
}

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
