// src-native/cpu/adafactor.cc — Adafactor on the cpu backend: the CUDA kernels' three passes and
// exactly their reduction tree (kernels/math/adafactor.cuh), so cpu and cuda-sim agree bit for
// bit. Tiles are independent, so the passes run on the thread pool tile by tile; every
// combination of tile results is sequential.
#include <vector>

#include "cpu_backend.h"
#include "thread_pool.h"
#include "tree_reduce.h"

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

TileRef tile_of(const AdafactorTensor& t, int64_t tile) {
  const int64_t strips = t.strips(), segs = t.segments();
  return {tile / (strips * segs), tile / strips % segs, tile % strips};
}

double block_sum(const double* per_thread) { return cpu::block_sum(per_thread, kThreads); }

void run_tiles(const AdafactorTensor& t, const std::function<void(int64_t)>& fn) {
  const int64_t tiles = t.tiles();
  if (t.numel() < kSerialBelow) {
    for (int64_t k = 0; k < tiles; ++k) fn(k);
  } else {
    pool().parallel_for(tiles, fn);
  }
}

// Visits a tile's elements in the CUDA kernels' order: the segment's rows (contiguous), and in
// each row the strip's columns, lane k at column strip * kThreads + k.
template <typename Fn>
void for_each_in_tile(const AdafactorTensor& t, const TileRef& at, Fn fn) {
  const int64_t r0 = at.seg * kSeg, r1 = r0 + kSeg < t.rows ? r0 + kSeg : t.rows;
  for (int64_t r = r0; r < r1; ++r) {
    for (int k = 0; k < kThreads; ++k) {
      const int64_t c = at.strip * kThreads + k;
      if (c >= t.cols) break;
      fn(r, k, c, (at.b * t.rows + r) * t.cols + c);
    }
  }
}

struct Scratch {
  std::vector<double> row_partials, col_partials, tile_p2, tile_u2;
  std::vector<float> r_mean;
  AdafactorTensorScalars scalars{};
};

// A tile's per-column sums into the column partials.
void store_col_partials(const AdafactorTensor& t, const TileRef& at, const double* col, Scratch& s) {
  for (int k = 0; k < kThreads; ++k) {
    const int64_t c = at.strip * kThreads + k;
    if (c < t.cols) s.col_partials[(at.b * t.segments() + at.seg) * t.cols + c] = col[k];
  }
}

// Pass 1: tile partials of the row/column sums of q and of sum p²; vectors' moving average.
void stats(const AdafactorTensor& t, const AdafactorHyper& h, Scratch& s) {
  run_tiles(t, [&](int64_t tile) {
    const TileRef at = tile_of(t, tile);
    const int64_t r0 = at.seg * kSeg, r1 = r0 + kSeg < t.rows ? r0 + kSeg : t.rows;
    double p2[kThreads], col[kThreads];
    for (int k = 0; k < kThreads; ++k) p2[k] = col[k] = 0.0;
    for (int64_t r = r0; r < r1; ++r) {
      double q[kThreads];
      for (int k = 0; k < kThreads; ++k) {
        const int64_t c = at.strip * kThreads + k;
        const bool valid = c < t.cols;
        const int64_t i = (at.b * t.rows + r) * t.cols + c;
        const float p = valid ? t.param[i] : 0.f;
        p2[k] += static_cast<double>(p) * p;
        const float g = valid ? math::adafactor_grad(t.grad[i], h) : 0.f;
        const float qv = valid ? math::adafactor_q(g, h) : 0.f;
        q[k] = qv;
        col[k] += qv;
        if (!t.factored && valid) t.variance[i] = math::adafactor_ema(t.variance[i], qv, h, t.step);
      }
      if (t.factored) s.row_partials[(at.b * t.rows + r) * t.strips() + at.strip] = block_sum(q);
    }
    if (t.factored) store_col_partials(t, at, col, s);
    s.tile_p2[tile] = block_sum(p2);
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
    double sum = 0.0;
    for (int64_t r = 0; r < t.rows; ++r) sum += row[b * t.rows + r];
    s.r_mean[static_cast<size_t>(b)] = static_cast<float>(sum / static_cast<double>(t.rows));
  }
}

// Pass 2 (no data pass): moving averages of the row/column means, mean_r(R), sum p².
void finalize(const AdafactorTensor& t, const AdafactorHyper& h, Scratch& s) {
  if (t.factored) finish_factored(t, s, t.row, t.col, [&](float x, float mean) { return math::adafactor_ema(x, mean, h, t.step); });
  double sum = 0.0;
  for (double v : s.tile_p2) sum += v;
  s.scalars.sum_p2 = sum;
}

float element_u(const AdafactorTensor& t, const AdafactorHyper& h, const Scratch& s, int64_t b, int64_t r, int64_t c,
                int64_t i) {
  const float g = math::adafactor_grad(t.grad[i], h);
  if (t.factored) return math::adafactor_u(g, t.row[b * t.rows + r], t.col[b * t.cols + c], s.r_mean[static_cast<size_t>(b)], true, h);
  return math::adafactor_u(g, t.variance[i], 0.f, 0.f, false, h);
}

// Pass 3: tile partials of sum U²; then the step scalars.
void rms_u(const AdafactorTensor& t, const AdafactorHyper& h, Scratch& s) {
  run_tiles(t, [&](int64_t tile) {
    const TileRef at = tile_of(t, tile);
    // Row by row (contiguous), each lane's sum still in row order: the CUDA thread's order.
    double u2[kThreads];
    for (int k = 0; k < kThreads; ++k) u2[k] = 0.0;
    for_each_in_tile(t, at, [&](int64_t r, int k, int64_t c, int64_t i) {
      const float u = element_u(t, h, s, at.b, r, c, i);
      u2[k] += static_cast<double>(u) * u;
    });
    s.tile_u2[tile] = block_sum(u2);
  });
  double sum = 0.0;
  for (double v : s.tile_u2) sum += v;
  s.scalars.sum_u2 = sum;
  math::adafactor_finish_scalars(s.scalars, static_cast<double>(t.numel()), h, t.step);
}

// Pass 4: the param (and first moment) update, element by element.
void update(const AdafactorTensor& t, const AdafactorHyper& h, const Scratch& s) {
  run_tiles(t, [&](int64_t tile) {
    const TileRef at = tile_of(t, tile);
    for_each_in_tile(t, at, [&](int64_t r, int, int64_t c, int64_t i) {
      const float u = element_u(t, h, s, at.b, r, c, i);
      float m = t.exp_avg ? t.exp_avg[i] : 0.f;
      math::adafactor_apply(t.param[i], m, u, h, s.scalars);
      if (t.exp_avg) t.exp_avg[i] = m;
    });
  });
}

// CAME pass 5: the first moment, and tile partials of the instability's row/column sums (the
// stats pass's tree; its partials buffers are free again).
void came_res(const AdafactorTensor& t, const AdafactorHyper& h, Scratch& s) {
  run_tiles(t, [&](int64_t tile) {
    const TileRef at = tile_of(t, tile);
    const int64_t r0 = at.seg * kSeg, r1 = r0 + kSeg < t.rows ? r0 + kSeg : t.rows;
    double col[kThreads];
    for (int k = 0; k < kThreads; ++k) col[k] = 0.0;
    for (int64_t r = r0; r < r1; ++r) {
      double res[kThreads];
      for (int k = 0; k < kThreads; ++k) {
        const int64_t c = at.strip * kThreads + k;
        res[k] = 0.0;
        if (c >= t.cols) continue;
        const int64_t i = (at.b * t.rows + r) * t.cols + c;
        float m = t.exp_avg[i];
        const float v = math::came_moment_and_res(element_u(t, h, s, at.b, r, c, i), m, h, s.scalars);
        t.exp_avg[i] = m;
        res[k] = v;
        col[k] += v;
      }
      if (t.factored) s.row_partials[(at.b * t.rows + r) * t.strips() + at.strip] = block_sum(res);
    }
    if (t.factored) store_col_partials(t, at, col, s);
  });
}

// CAME pass 6: the instability's moving averages, then mean_r of its rows into r_mean.
void came_finalize_res(const AdafactorTensor& t, const AdafactorHyper& h, Scratch& s) {
  finish_factored(t, s, t.res_row, t.res_col, [&](float x, float mean) { return math::came_res_ema(x, mean, h); });
}

// CAME pass 7: the param update.
void came_update(const AdafactorTensor& t, const AdafactorHyper& h, const Scratch& s) {
  run_tiles(t, [&](int64_t tile) {
    const TileRef at = tile_of(t, tile);
    for_each_in_tile(t, at, [&](int64_t r, int, int64_t c, int64_t i) {
      if (t.factored) {
        math::came_apply(t.param[i], t.exp_avg[i], t.res_row[at.b * t.rows + r], t.res_col[at.b * t.cols + c], s.r_mean[static_cast<size_t>(at.b)], true, h);
      } else {
        math::came_apply(t.param[i], t.exp_avg[i], 0.f, 0.f, 0.f, false, h);
      }
    });
  });
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
