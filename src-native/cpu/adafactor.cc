// src-native/cpu/adafactor.cc — Adafactor on the cpu backend: the CUDA kernels' three passes and
// exactly their reduction tree (kernels/math/adafactor.cuh), so cpu and cuda-sim agree bit for
// bit. Tiles are independent, so the passes run on the thread pool in groups of side-by-side
// tiles; tile results are combined in the kernels' order (sums over a whole tensor or slice by
// their strided tree). The element work of every data pass is done a row of a tile at a time by
// the per-ISA row kernels (adafactor_rows.inl).
//
// A group walks its rows across all its tiles (row r of each tile, then row r + 1), so memory is
// read in runs of up to kStripsPerGroup * kThreads contiguous floats. Walking one tile's rows
// alone reads 1 KiB and jumps a matrix row ahead, onto a new page for wide matrices, where the
// hardware prefetchers stop: that ran the passes at a third of the memory speed. Each tile's own
// sequence of rows, and so every lane's sum, is the same either way.
#include <vector>

#include "cpu_backend.h"
#include "kernel_table.h"
#include "previous_paths.h"
#include "thread_pool.h"

namespace cuoptim {
namespace cpu {

namespace {

using math::AdafactorHyper;
using math::AdafactorTensorScalars;
constexpr int kThreads = math::kAdafactorStrip;
constexpr int kWarps = math::kAdafactorWarps;
constexpr int kSeg = math::kAdafactorSegRows;

struct TileRef {
  int64_t b, seg, strip;
};

double block_sum(const double* per_thread) { return kernels().block_sum(per_thread, kThreads); }

// The kernels' strided_block_sum over get(0 .. n): lane t adds items t, t + kThreads, ... in
// order, then block_sum's tree.
template <typename Get>
double strided_block_sum(int64_t n, Get get) {
  double lanes[kThreads] = {};
  for (int64_t i = 0; i < n; ++i) lanes[i % kThreads] += get(i);
  return block_sum(lanes);
}

struct Scratch {
  std::vector<double> row_partials, col_partials, tile_p2, tile_u2;
  std::vector<float> r_mean;
  std::vector<float> col_factor;  // adafactor_col_factor of the columns the pass reads (not torch)
  AdafactorTensorScalars scalars{};
};

// A tile's rows [r0, r1), first column c0 and lane count n.
struct TileSpan {
  int64_t r0, r1, c0;
  int n;
};
TileSpan span_of(const AdafactorTensor& t, const TileRef& at) {
  const int64_t r0 = at.seg * kSeg, c0 = at.strip * kThreads;
  return {r0, r0 + kSeg < t.rows ? r0 + kSeg : t.rows, c0, static_cast<int>(t.cols - c0 < kThreads ? t.cols - c0 : kThreads)};
}

// Tiles of one batch entry and row segment side by side: up to 16 x 256 columns per run.
constexpr int64_t kStripsPerGroup = 16;

// For every tile: a zeroed Acc, row(acc, at, span, r) for its rows in order, then
// end(acc, at, span, tile). The tiles of a group advance row by row together.
template <typename Acc, typename RowFn, typename EndFn>
void run_groups(const AdafactorTensor& t, RowFn row, EndFn end) {
  const int64_t strips = t.strips(), segs = t.segments();
  const int64_t width = previous_paths() ? 1 : kStripsPerGroup;  // 1: tile by tile
  const int64_t per_segment = (strips + width - 1) / width;
  const auto group = [&](int64_t g) {
    const int64_t strip0 = g % per_segment * width;
    const int count = static_cast<int>(strips - strip0 < width ? strips - strip0 : width);
    const int64_t b = g / per_segment / segs, seg = g / per_segment % segs;
    std::vector<Acc> acc(static_cast<size_t>(count));
    TileRef at[kStripsPerGroup] = {};
    TileSpan sp[kStripsPerGroup] = {};
    for (int i = 0; i < count; ++i) {
      at[i] = {b, seg, strip0 + i};
      sp[i] = span_of(t, at[i]);
    }
    for (int64_t r = sp[0].r0; r < sp[0].r1; ++r) {
      for (int i = 0; i < count; ++i) row(acc[static_cast<size_t>(i)], at[i], sp[i], r);
    }
    for (int i = 0; i < count; ++i) end(acc[static_cast<size_t>(i)], at[i], sp[i], (b * segs + seg) * strips + strip0 + i);
  };
  const int64_t groups = t.batch * segs * per_segment;
  if (t.numel() < kSerialBelow) {
    for (int64_t g = 0; g < groups; ++g) group(g);
  } else {
    parallel_for(groups, group);
  }
}

// Lanes past the last column hold zeros, as the CUDA threads there contribute.
struct LaneSums {
  double v[kThreads] = {};
};
struct StatsSums {
  double p2[kThreads] = {}, col[kThreads] = {};
};
struct NoSums {};
constexpr auto kNoEnd = [](auto&, const TileRef&, const TileSpan&, int64_t) {};

// Row r of a tile as the row kernels take it; factored, with the row/column statistics `rows`
// and `cols` (Adafactor's R and C, or CAME's instability S and T) and s.r_mean.
AdafactorRowArgs row_args(const AdafactorTensor& t, const Scratch& s, const TileRef& at, const TileSpan& sp, int64_t r,
                          const float* rows, const float* cols) {
  const int64_t base = (at.b * t.rows + r) * t.cols + sp.c0;
  AdafactorRowArgs a{};
  a.param = t.param + base;
  a.grad = t.grad + base;
  a.exp_avg = t.exp_avg ? t.exp_avg + base : nullptr;
  a.n = sp.n;
  if (t.factored) {
    a.col = cols + at.b * t.cols + sp.c0;
    a.row = rows[at.b * t.rows + r];
    a.r_mean = s.r_mean[static_cast<size_t>(at.b)];
    if (!s.col_factor.empty()) {
      a.col_factor = s.col_factor.data() + at.b * t.cols + sp.c0;
      a.row_factor = math::adafactor_row_factor(a.row, a.r_mean);
    }
  } else {
    a.variance = t.variance + base;
  }
  return a;
}

// A tile's per-column sums into the column partials.
void store_col_partials(const AdafactorTensor& t, const TileRef& at, const double* col, Scratch& s) {
  for (int k = 0; k < kThreads; ++k) {
    const int64_t c = at.strip * kThreads + k;
    if (c < t.cols) s.col_partials[(at.b * t.segments() + at.seg) * t.cols + c] = col[k];
  }
}

// Pass 1: tile partials of the row/column sums of q and of sum p²; vectors' moving average.
void stats(const AdafactorTensor& t, const AdafactorHyper& h, Scratch& s) {
  const AdafactorStatsRowFn row_fn = kernels().adafactor_rows.stats[adafactor_row_index(t.factored, h.variant == math::kAdafactorTorch)];
  run_groups<StatsSums>(
      t,
      [&](StatsSums& acc, const TileRef& at, const TileSpan& sp, int64_t r) {
        double q[kThreads] = {};
        row_fn(row_args(t, s, at, sp, r, t.row, t.col), h, t.step, acc.p2, acc.col, q);
        if (t.factored) s.row_partials[(at.b * t.rows + r) * t.strips() + at.strip] = block_sum(q);
      },
      [&](StatsSums& acc, const TileRef& at, const TileSpan&, int64_t tile) {
        if (t.factored) store_col_partials(t, at, acc.col, s);
        s.tile_p2[static_cast<size_t>(tile)] = block_sum(acc.p2);
      });
}

// Row and column statistics from the tile partials: each row's (column's) partial sums added in
// order, its mean fed through `ema` into row[] (col[]), then mean_r of the rows into r_mean.
template <typename Ema>
void finish_factored(const AdafactorTensor& t, Scratch& s, float* row, float* col, Ema ema) {
  for (int64_t b = 0; b < t.batch; ++b) {
    for (int64_t r = 0; r < t.rows; ++r) {
      double sum = 0.0;
      for (int64_t k = 0; k < t.strips(); ++k) sum += s.row_partials[(b * t.rows + r) * t.strips() + k];
      float& x = row[b * t.rows + r];
      x = ema(x, static_cast<float>(sum / static_cast<double>(t.cols)));
    }
    for (int64_t c = 0; c < t.cols; ++c) {
      double sum = 0.0;
      for (int64_t k = 0; k < t.segments(); ++k) sum += s.col_partials[(b * t.segments() + k) * t.cols + c];
      float& x = col[b * t.cols + c];
      x = ema(x, static_cast<float>(sum / static_cast<double>(t.rows)));
    }
    const double sum = strided_block_sum(t.rows, [&](int64_t r) { return static_cast<double>(row[b * t.rows + r]); });
    s.r_mean[static_cast<size_t>(b)] = static_cast<float>(sum / static_cast<double>(t.rows));
  }
}

// The column factors of transformers' and CAME's factored update, for the passes that follow
// (torch's U does not factor into a row and a column term).
void set_col_factors(const AdafactorTensor& t, const AdafactorHyper& h, const float* cols, Scratch& s) {
  s.col_factor.clear();
  if (!t.factored || h.variant == math::kAdafactorTorch) return;
  s.col_factor.resize(static_cast<size_t>(t.batch * t.cols));
  for (size_t c = 0; c < s.col_factor.size(); ++c) s.col_factor[c] = math::adafactor_col_factor(cols[c]);
}

// Pass 2 (no data pass): moving averages of the row/column means, mean_r(R), sum p².
void finalize(const AdafactorTensor& t, const AdafactorHyper& h, Scratch& s) {
  if (t.factored) finish_factored(t, s, t.row, t.col, [&](float x, float mean) { return math::adafactor_ema(x, mean, h, t.step); });
  s.scalars.sum_p2 = strided_block_sum(t.tiles(), [&](int64_t k) { return s.tile_p2[static_cast<size_t>(k)]; });
  set_col_factors(t, h, t.col, s);
}

// Pass 3: tile partials of sum U²; then the step scalars.
void rms_u(const AdafactorTensor& t, const AdafactorHyper& h, Scratch& s) {
  const AdafactorRmsRowFn row_fn = kernels().adafactor_rows.rms_u[adafactor_row_index(t.factored, h.variant == math::kAdafactorTorch)];
  run_groups<LaneSums>(
      t, [&](LaneSums& u2, const TileRef& at, const TileSpan& sp, int64_t r) { row_fn(row_args(t, s, at, sp, r, t.row, t.col), h, u2.v); },
      [&](LaneSums& u2, const TileRef&, const TileSpan&, int64_t tile) { s.tile_u2[static_cast<size_t>(tile)] = block_sum(u2.v); });
  s.scalars.sum_u2 = strided_block_sum(t.tiles(), [&](int64_t k) { return s.tile_u2[static_cast<size_t>(k)]; });
  math::adafactor_finish_scalars(s.scalars, static_cast<double>(t.numel()), h, t.step);
}

// Pass 4: the param (and first moment) update, element by element.
void update(const AdafactorTensor& t, const AdafactorHyper& h, const Scratch& s) {
  const AdafactorUpdateRowFn row_fn = kernels().adafactor_rows.update[adafactor_row_index(
      t.factored, h.variant == math::kAdafactorTorch, t.exp_avg != nullptr, h.weight_decay != 0)];
  run_groups<NoSums>(
      t, [&](NoSums&, const TileRef& at, const TileSpan& sp, int64_t r) { row_fn(row_args(t, s, at, sp, r, t.row, t.col), h, s.scalars); }, kNoEnd);
}

// CAME pass 5: the first moment, and tile partials of the instability's row/column sums (the
// stats pass's tree; its partials buffers are free again).
void came_res(const AdafactorTensor& t, const AdafactorHyper& h, Scratch& s) {
  const CameResRowFn row_fn = kernels().adafactor_rows.came_res[adafactor_row_index(t.factored, false)];
  run_groups<LaneSums>(
      t,
      [&](LaneSums& col, const TileRef& at, const TileSpan& sp, int64_t r) {
        double res[kThreads] = {};
        row_fn(row_args(t, s, at, sp, r, t.row, t.col), h, s.scalars, col.v, res);
        if (t.factored) s.row_partials[(at.b * t.rows + r) * t.strips() + at.strip] = block_sum(res);
      },
      [&](LaneSums& col, const TileRef& at, const TileSpan&, int64_t) {
        if (t.factored) store_col_partials(t, at, col.v, s);
      });
}

// CAME pass 6: the instability's moving averages, then mean_r of its rows into r_mean.
void came_finalize_res(const AdafactorTensor& t, const AdafactorHyper& h, Scratch& s) {
  finish_factored(t, s, t.res_row, t.res_col, [&](float x, float mean) { return math::came_res_ema(x, mean, h); });
  set_col_factors(t, h, t.res_col, s);
}

// CAME pass 7: the param update.
void came_update(const AdafactorTensor& t, const AdafactorHyper& h, const Scratch& s) {
  const CameUpdateRowFn row_fn = kernels().adafactor_rows.came_update[adafactor_row_index(t.factored, false, false, h.weight_decay != 0)];
  run_groups<NoSums>(
      t, [&](NoSums&, const TileRef& at, const TileSpan& sp, int64_t r) { row_fn(row_args(t, s, at, sp, r, t.res_row, t.res_col), h); }, kNoEnd);
}

}  // namespace

void CpuBackend::adafactor(const AdafactorArgs& args) {
  for (const AdafactorTensor& t : args.tensors) {
    Scratch s;
    s.row_partials.assign(t.factored ? static_cast<size_t>(t.batch * t.rows * t.strips()) : 0, 0.0);
    s.col_partials.assign(t.factored ? static_cast<size_t>(t.batch * t.segments() * t.cols) : 0, 0.0);
    s.tile_p2.assign(static_cast<size_t>(t.tiles()), 0.0);
    s.tile_u2.assign(static_cast<size_t>(t.tiles()), 0.0);
    s.r_mean.assign(static_cast<size_t>(t.batch), 0.f);
    stats(t, args.hyper, s);
    finalize(t, args.hyper, s);
    rms_u(t, args.hyper, s);
    if (args.hyper.variant != math::kAdafactorCame) {
      update(t, args.hyper, s);
      continue;
    }
    came_res(t, args.hyper, s);
    if (t.factored) came_finalize_res(t, args.hyper, s);
    came_update(t, args.hyper, s);
  }
}

}  // namespace cpu
}  // namespace cuoptim
