// src-native/cpu/norm.cc — the gradient norm's partials and clipping's transforms on the cpu
// backend, with kernels/cuda/grad_norm.cu's chunks and tree (tree_reduce.h): one partial per
// 65536 elements, thread t of 256 taking elements t, t+256, ... in order. Also the reduction
// step of the distributed collectives (kernels/math/fold.cuh), element by element on the pool.
#include "cpu_backend.h"
#include "kernel_table.h"
#include "thread_pool.h"
#include "tree_reduce.h"
#include "../../kernels/math/fold.cuh"

namespace cuoptim {
namespace cpu {

namespace {
constexpr int kThreads = 256;
}

void CpuBackend::grad_norm_partials(const NormArgs& args, std::vector<double>* partials) {
  const TensorLists& l = args.lists;
  struct Item {
    size_t tensor;
    int64_t start;
    size_t slot;
  };
  std::vector<Item> items;
  for (size_t t = 0; t < l.size(); ++t) {
    for (int64_t s = 0; s < l.numel[t]; s += kNormChunk) items.push_back({t, s, items.size()});
  }
  partials->assign(items.size(), 0.0);
  const NormLanesFn lanes = args.inf_norm ? kernels().norm_inf_lanes : kernels().norm_sq_lanes;  // vectorised per ISA
  auto run = [&](int64_t k) {
    const Item& it = items[static_cast<size_t>(k)];
    const int64_t count = l.numel[it.tensor] - it.start < kNormChunk ? l.numel[it.tensor] - it.start : kNormChunk;
    const unsigned type = math::TensorFormat{l.format(it.tensor)}.param();
    double acc[kThreads] = {};
    float widened[kThreads];
    for (int64_t base = 0; base < count; base += kThreads) {
      const int64_t n = count - base < kThreads ? count - base : kThreads;
      const float* g = static_cast<const float*>(l.ptrs[it.tensor][0]) + it.start + base;
      if (type != math::kStoreF32) {  // 16-bit grads: widened exactly, a row at a time
        for (int64_t t = 0; t < n; ++t) widened[t] = math::load_as_f32(l.ptrs[it.tensor][0], type, it.start + base + t);
        g = widened;
      }
      lanes(g, static_cast<int>(n), acc);
    }
    (*partials)[it.slot] = args.inf_norm ? block_max(acc, kThreads) : kernels().block_sum(acc, kThreads);
  };
  if (l.total_numel() < kSerialBelow) {
    for (size_t k = 0; k < items.size(); ++k) run(static_cast<int64_t>(k));
  } else {
    parallel_for(static_cast<int64_t>(items.size()), run);
  }
}

void CpuBackend::transform(const TransformArgs& args) {
  const TensorLists& l = args.lists;
  for_each_chunk(split_chunks(l), l.total_numel(), [&](const ChunkRef& c) {
    float* x = static_cast<float*>(l.ptrs[c.tensor][0]) + c.offset;
    for (int64_t i = 0; i < c.count; ++i) x[i] = math::transform_element(x[i], args.kind, args.value);
  });
}

void CpuBackend::fold_ranks(const FoldArgs& a) {
  constexpr int64_t kPerJob = 1 << 16;
  auto run = [&](int64_t job) {
    const int64_t end = (job + 1) * kPerJob < a.count ? (job + 1) * kPerJob : a.count;
    for (int64_t i = job * kPerJob; i < end; ++i) math::fold_element(a.blocks, a.out, a.ranks, a.count, a.type, a.op, i);
  };
  const int64_t jobs = (a.count + kPerJob - 1) / kPerJob;
  if (a.count < kSerialBelow) {
    for (int64_t j = 0; j < jobs; ++j) run(j);
  } else {
    parallel_for(jobs, run);
  }
}

}  // namespace cpu
}  // namespace cuoptim
