// kernels/cuda/adafactor.cu — Adafactor (both variants of kernels/math/adafactor.cuh) with
// factored second moments: O(rows + cols) state per matrix.
//
// Five launches per step, each over every tensor of the step (a step with more tensors than one
// launch's parameters hold, Batch::kMax, takes several), and three passes over the gradient (the
// fewest the algorithm allows without an O(n) buffer: U's RMS must be known before any param
// moves, and U needs the finished row and column statistics):
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
// Every sum follows the tree in adafactor.cuh, in double; the cpu backend follows it too. The sums
// over a whole tensor or slice (sum p², sum U², mean_r) are strided_block_sum's: thread t adds
// items t, t + 256, ... in order, then block_sum's tree. Data passes walk tiles (a strip of 256
// columns by up to 256 rows, thread t on column t), so no element index is ever divided.
#include <memory>

#include "../op_args.h"
#include "../math/adafactor.cuh"
#include "block_reduce.cuh"
#include "multi_tensor_apply.cuh"

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
  int64_t index;  // the tile within its tensor
  __device__ __forceinline__ Tile(const AdafactorTensor& t, int64_t tile) : index(tile) {
    const int64_t strips = t.strips(), segs = t.segments();
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

// The sum of get(0 .. n) over the block: thread t adds items t, t + kThreads, ... in order, then
// block_sum's tree (the cpu backend's strided_block_sum). Thread 0 gets the result.
template <typename Get, typename Slots>
__device__ __forceinline__ double strided_block_sum(int64_t n, Get get, Slots warp_sums) {
  double acc = 0.0;
  for (int64_t i = threadIdx.x; i < n; i += kThreads) acc += get(i);
  return block_sum(acc, warp_sums);
}

// One block per slice b: row (column) partial sums added in order, each mean fed through `ema`
// into row[] (col[]), then mean_r of the rows into r_mean.
template <typename Ema, typename Slots>
__device__ __forceinline__ void finish_factored(const AdafactorTensor& t, const Scratch& s, int64_t b, float* row, float* col, Ema ema,
                                                Slots warp_sums) {
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
  const double sum = strided_block_sum(t.rows, [&](int64_t r) { return static_cast<double>(row[b * t.rows + r]); }, warp_sums);
  if (threadIdx.x == 0) s.r_mean[b] = static_cast<float>(sum / static_cast<double>(t.rows));
}

// The tensors of one launch, each with its scratch and its first block in the grid of each kind
// of pass: one block per tile (stats, rms_u, update, came_res, came_update), per slice
// (finalize, came_finalize_res) or per tensor (scalars).
struct Batch {
  static constexpr int kMax = (kParamBudgetBytes - kReservedParamBytes - 3 * 4 - 4) /
                              static_cast<int>(sizeof(AdafactorTensor) + sizeof(Scratch) + 2 * sizeof(int));
  int count;
  int first_tile[kMax + 1];
  int first_slice[kMax + 1];
  AdafactorTensor t[kMax];
  Scratch s[kMax];

  // The simulator checks each of these is device memory (kernels/sim/device_registry.h).
  template <typename F>
  void for_each_device_pointer(F&& f) const {
    for (int k = 0; k < count; ++k) {
      t[k].for_each_device_pointer(f);
      s[k].for_each_device_pointer(f);
    }
  }
};

// In a pass with one block per tile: this block's tensor, its scratch, and its tile there.
struct TileBlock {
  const AdafactorTensor& t;
  const Scratch& s;
  Tile tile;
  __device__ __forceinline__ explicit TileBlock(const Batch& batch)
      : TileBlock(batch, slot_of_block(batch.first_tile, batch.count, static_cast<int>(blockIdx.x))) {}
  __device__ __forceinline__ TileBlock(const Batch& batch, int k)
      : t(batch.t[k]), s(batch.s[k]), tile(batch.t[k], static_cast<int64_t>(blockIdx.x) - batch.first_tile[k]) {}
};

__global__ void __launch_bounds__(kThreads) stats_kernel(kernel_param<Batch> batch, AdafactorHyper h) {
  CUOPTIM_SHARED(double, row_parts, [math::kAdafactorSegRows][kWarps]);
  CUOPTIM_SHARED(double, warp_sums, [kWarps]);
  const TileBlock at(batch);
  const auto& [t, s, tile] = at;
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
  if (threadIdx.x == 0) s.tile_p2[tile.index] = total;
}

// One block per slice: the row and column moving averages, then mean_r(R). A tensor's first
// slice also sums p² over its tiles.
__global__ void __launch_bounds__(kThreads) finalize_kernel(kernel_param<Batch> batch, AdafactorHyper h) {
  CUOPTIM_SHARED(double, warp_sums, [kWarps]);
  const int k = slot_of_block(batch.first_slice, batch.count, static_cast<int>(blockIdx.x));
  const AdafactorTensor& t = batch.t[k];
  const Scratch& s = batch.s[k];
  const int64_t b = static_cast<int64_t>(blockIdx.x) - batch.first_slice[k];
  if (t.factored) {
    const math::AdafactorStepScalars step = t.step;
    finish_factored(t, s, b, t.row, t.col, [&](float x, float mean) { return math::adafactor_ema(x, mean, h, step); }, warp_sums);
  }
  if (b == 0) {
    const double sum = strided_block_sum(t.tiles(), [&](int64_t i) { return s.tile_p2[i]; }, warp_sums);
    if (threadIdx.x == 0) s.scalars->sum_p2 = sum;
  }
}

// U of element i (row r, column c of slice b), from the finished statistics.
__device__ __forceinline__ float element_u(const AdafactorTensor& t, const AdafactorHyper& h, const Scratch& s, int64_t b,
                                           int64_t r, int64_t c, int64_t i) {
  const float g = math::adafactor_grad(t.grad[i], h);
  if (t.factored) return math::adafactor_u(g, t.row[b * t.rows + r], t.col[b * t.cols + c], s.r_mean[b], true, h);
  return math::adafactor_u(g, t.variance[i], 0.f, 0.f, false, h);
}

__global__ void __launch_bounds__(kThreads) rms_u_kernel(kernel_param<Batch> batch, AdafactorHyper h) {
  CUOPTIM_SHARED(double, warp_sums, [kWarps]);
  const TileBlock at(batch);
  const auto& [t, s, tile] = at;
  double u2 = 0.0;
  if (tile.valid_col) {
    for (int64_t r = tile.r0; r < tile.r1; ++r) {
      const float u = element_u(t, h, s, tile.b, r, tile.c, (tile.b * t.rows + r) * t.cols + tile.c);
      u2 += static_cast<double>(u) * u;
    }
  }
  const double total = block_sum(u2, warp_sums);
  if (threadIdx.x == 0) s.tile_u2[tile.index] = total;
}

// One block per tensor: sum U² over its tiles, then the step size / clip from the two sums.
__global__ void __launch_bounds__(kThreads) scalars_kernel(kernel_param<Batch> batch, AdafactorHyper h) {
  CUOPTIM_SHARED(double, warp_sums, [kWarps]);
  const AdafactorTensor& t = batch.t[blockIdx.x];
  const Scratch& s = batch.s[blockIdx.x];
  const double sum = strided_block_sum(t.tiles(), [&](int64_t i) { return s.tile_u2[i]; }, warp_sums);
  if (threadIdx.x == 0) {
    s.scalars->sum_u2 = sum;
    math::adafactor_finish_scalars(*s.scalars, static_cast<double>(t.numel()), h, t.step);
  }
}

__global__ void __launch_bounds__(kThreads) update_kernel(kernel_param<Batch> batch, AdafactorHyper h) {
  const TileBlock at(batch);
  const auto& [t, s, tile] = at;
  if (!tile.valid_col) return;
  const AdafactorTensorScalars sc = *s.scalars;
  for (int64_t r = tile.r0; r < tile.r1; ++r) {
    const int64_t i = (tile.b * t.rows + r) * t.cols + tile.c;
    const float u = element_u(t, h, s, tile.b, r, tile.c, i);
    float m = t.exp_avg ? t.exp_avg[i] : 0.f;
    math::adafactor_apply(t.param[i], m, u, h, sc);
    if (t.exp_avg) t.exp_avg[i] = m;
  }
}

// CAME pass 5: m <- b1*m + (1-b1)*U/clip, and the instability's row/column tile partials, with the
// stats pass's tree (the scratch's row/column partials are free again after finalize).
__global__ void __launch_bounds__(kThreads) came_res_kernel(kernel_param<Batch> batch, AdafactorHyper h) {
  CUOPTIM_SHARED(double, row_parts, [math::kAdafactorSegRows][kWarps]);
  const TileBlock at(batch);
  const auto& [t, s, tile] = at;
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

// CAME pass 6, one block per slice of each factored tensor: S and T from the partials, then
// mean_r(S) into r_mean.
__global__ void __launch_bounds__(kThreads) came_finalize_res_kernel(kernel_param<Batch> batch, AdafactorHyper h) {
  CUOPTIM_SHARED(double, warp_sums, [kWarps]);
  const int k = slot_of_block(batch.first_slice, batch.count, static_cast<int>(blockIdx.x));
  const AdafactorTensor& t = batch.t[k];
  if (!t.factored) return;  // the whole block: its barriers stay uniform
  finish_factored(t, batch.s[k], static_cast<int64_t>(blockIdx.x) - batch.first_slice[k], t.res_row, t.res_col,
                  [&](float x, float mean) { return math::came_res_ema(x, mean, h); }, warp_sums);
}

// CAME pass 7: the param update.
__global__ void __launch_bounds__(kThreads) came_update_kernel(kernel_param<Batch> batch, AdafactorHyper h) {
  const TileBlock at(batch);
  const auto& [t, s, tile] = at;
  if (!tile.valid_col) return;
  // The column's T and the slice's mean_r(S) are the same for every row of the tile.
  const float res_col = t.factored ? t.res_col[tile.b * t.cols + tile.c] : 0.f;
  const float res_mean = t.factored ? s.r_mean[tile.b] : 0.f;
  for (int64_t r = tile.r0; r < tile.r1; ++r) {
    const int64_t i = (tile.b * t.rows + r) * t.cols + tile.c;
    const float res_row = t.factored ? t.res_row[tile.b * t.rows + r] : 0.f;
    math::came_apply(t.param[i], t.exp_avg[i], res_row, res_col, res_mean, t.factored, h);
  }
}

// The passes of one batch of tensors.
void run_batch(const Batch& batch, bool came, const AdafactorHyper& h, StreamHandle stream) {
  const dim3 tiles(static_cast<unsigned>(batch.first_tile[batch.count]));
  const dim3 slices(static_cast<unsigned>(batch.first_slice[batch.count]));
  const dim3 threads(kThreads);
  launch(stats_kernel, "adafactor_stats", tiles, threads, 0, stream, batch, h);
  launch(finalize_kernel, "adafactor_finalize", slices, threads, 0, stream, batch, h);
  launch(rms_u_kernel, "adafactor_rms_u", tiles, threads, 0, stream, batch, h);
  launch(scalars_kernel, "adafactor_scalars", dim3(static_cast<unsigned>(batch.count)), threads, 0, stream, batch, h);
  if (!came) {
    launch(update_kernel, "adafactor_update", tiles, threads, 0, stream, batch, h);
    return;
  }
  launch(came_res_kernel, "came_res", tiles, threads, 0, stream, batch, h);
  launch(came_finalize_res_kernel, "came_finalize_res", slices, threads, 0, stream, batch, h);
  launch(came_update_kernel, "came_update", tiles, threads, 0, stream, batch, h);
}

}  // namespace adafactor_detail

// One Adafactor step of every tensor; each tensor's workspace (AdafactorWorkspace::layout(t).bytes)
// comes with it.
void adafactor(const AdafactorArgs& args, StreamHandle stream) {
  using namespace adafactor_detail;
  auto batch = std::make_unique<Batch>();  // 32 KiB: not on the stack
  batch->count = 0;
  int64_t tiles = 0, slices = 0;
  const bool came = args.hyper.variant == math::kAdafactorCame;
  const auto flush = [&]() {
    if (batch->count == 0) return;
    batch->first_tile[batch->count] = static_cast<int>(tiles);
    batch->first_slice[batch->count] = static_cast<int>(slices);
    run_batch(*batch, came, args.hyper, stream);
    batch->count = 0;
    tiles = slices = 0;
  };
  for (const AdafactorTensor& t : args.tensors) {
    if (t.numel() == 0) continue;  // nothing to update, and no tile to own
    if (batch->count == Batch::kMax || tiles + t.tiles() > kMaxGridBlocks || slices + t.batch > kMaxGridBlocks) flush();
    const AdafactorWorkspace w = AdafactorWorkspace::layout(t);
    char* base = static_cast<char*>(t.workspace);
    const int k = batch->count++;
    batch->t[k] = t;
    batch->s[k] = Scratch{reinterpret_cast<double*>(base + w.row_partials), reinterpret_cast<double*>(base + w.col_partials),
                          reinterpret_cast<double*>(base + w.tile_p2),      reinterpret_cast<double*>(base + w.tile_u2),
                          reinterpret_cast<float*>(base + w.r_mean),        reinterpret_cast<math::AdafactorTensorScalars*>(base + w.scalars)};
    batch->first_tile[k] = static_cast<int>(tiles);
    batch->first_slice[k] = static_cast<int>(slices);
    tiles += t.tiles();
    slices += t.batch;
  }
  flush();
}

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
