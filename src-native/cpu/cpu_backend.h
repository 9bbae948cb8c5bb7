// src-native/cpu/cpu_backend.h — the always-present backend: host memory, the thread pool and
// the per-ISA vectorised loops.
#pragma once

#include <functional>
#include <vector>

#include "../backend.h"
#include "kernel_table.h"

namespace cuoptim {
namespace cpu {

// Elements per work item. Each item is a run inside one tensor; 32K floats keep an item's five
// streams (p, g, m, v, vmax) inside a core's L2 while leaving enough items to balance threads.
// A multiple of every quant block size, so a blockwise item holds whole blocks.
inline constexpr int64_t kChunkElems = 32768;
static_assert(kChunkElems % math::kMaxQuantBlock == 0, "work items must hold whole quant blocks");
// Below this many elements in a whole step, waking the pool costs more than it saves.
inline constexpr int64_t kSerialBelow = 65536;

class CpuBackend final : public Backend {
 public:
  DeviceKind kind() const override { return DeviceKind::Cpu; }
  bool available(std::string*) const override { return true; }
  bool host_accessible() const override { return true; }

  void* allocate(size_t bytes) override;
  void deallocate(void* ptr, size_t bytes) override;
  void fill_zero(void* dst, size_t bytes) override;
  void upload(void* dst, const void* host_src, size_t bytes) override;
  void download(void* host_dst, const void* src, size_t bytes) override;
  void copy(void* dst, const void* src, size_t bytes) override;

#define CUOPTIM_CPU_OP(name, Op) \
  void name(const ElementwiseArgs<Op>& args) override { run_elementwise(args, kernels().name); }
  CUOPTIM_ELEMENTWISE_OPS(CUOPTIM_CPU_OP)
#undef CUOPTIM_CPU_OP
#define CUOPTIM_CPU_OP(name, Rule) \
  void name(const BlockwiseArgs<Rule>& args) override { run_blockwise(args, kernels().name); }
  CUOPTIM_BLOCKWISE_OPS(CUOPTIM_CPU_OP)
#undef CUOPTIM_CPU_OP
  void quantize_blockwise(const QuantizeArgs& args) override;
  void dequantize_blockwise(const QuantizeArgs& args) override;
  void adafactor(const AdafactorArgs& args) override;  // adafactor.cc
  void gemm(const math::GemmArgs& g) override;          // gemm.cc
  void add_diagonal(float* base, int64_t n, int64_t ld, float value) override;  // gemm.cc
  void capturable_adam_advance(const CapturableRecord& r) override {
    for (int64_t t = 0; t < r.count; ++t) advance_capturable_adam(r, t);
  }
  void grad_norm_partials(const NormArgs& args, std::vector<double>* partials) override;  // norm.cc
  void transform(const TransformArgs& args) override;  // norm.cc
  void fold_ranks(const FoldArgs& args) override;      // norm.cc

 private:
  // The nearest-code table for one of this backend's dynamic maps, or null (code_lut.h).
  const CodeLut* lut(const float* map, bool is_signed, bool sign_fix);
  // One pass over every chunk of every tensor, on the pool, through this ISA's loop for Op.
  template <typename Op>
  void run_elementwise(const ElementwiseArgs<Op>& args, ElementwiseFn loop);
  // Chunks hold whole quant blocks: kChunkElems is a multiple of every block size.
  template <typename Rule>
  void run_blockwise(const BlockwiseArgs<Rule>& args, BlockwiseFn loop);
};

// Splits every tensor of a step into runs of at most kChunkElems elements.
struct ChunkRef {
  int32_t tensor;
  int64_t offset;
  int64_t count;
};
std::vector<ChunkRef> split_chunks(const TensorLists& lists);

// Runs fn(chunk) for every chunk, on the pool unless the step is small.
void for_each_chunk(const std::vector<ChunkRef>& chunks, int64_t total_numel,
                    const std::function<void(const ChunkRef&)>& fn);

template <typename Op>
void CpuBackend::run_elementwise(const ElementwiseArgs<Op>& args, ElementwiseFn loop) {
  static_assert(Op::kStates <= kMaxStates, "raise kMaxStates");
  const TensorLists& l = args.lists;
  // The address of element `offset` of a list stored as `type` (null stays null).
  const auto at = [](void* base, unsigned type, int64_t offset) -> void* {
    if (!base) return nullptr;
    return static_cast<char*>(base) + offset * (type == math::kStoreF32 ? 4 : 2);
  };
  for_each_chunk(split_chunks(l), l.total_numel(), [&](const ChunkRef& c) {
    const auto& ptrs = l.ptrs[c.tensor];
    const math::TensorFormat f{l.format(static_cast<size_t>(c.tensor))};
    ElementwiseChunk chunk{};
    chunk.param = static_cast<float*>(at(ptrs[kParamList], f.param(), c.offset));
    chunk.grad = static_cast<const float*>(at(ptrs[kGradList], f.grad(), c.offset));
    for (int k = 0; k < Op::kStates; ++k) chunk.state[k] = static_cast<float*>(at(ptrs[kFirstStateList + k], f.state(), c.offset));
    chunk.count = c.count;
    chunk.hyper = &args.hyper;
    chunk.tensor_scalars = l.scalar_table ? l.scalar_table + static_cast<int64_t>(c.tensor) * kMaxTensorScalars : l.scalars[c.tensor].data();
    chunk.format = f.bits;
    chunk.key = l.key(static_cast<size_t>(c.tensor));
    chunk.start = c.offset;
    chunk.shadow = at(ptrs[kShadowList<Op>], f.shadow(), c.offset);
    loop(args.flags, chunk);
  });
}

template <typename Rule>
void CpuBackend::run_blockwise(const BlockwiseArgs<Rule>& args, BlockwiseFn loop) {
  constexpr int kStates = Rule::kStates;
  const TensorLists& l = args.lists;
  const CodeLut* luts[math::kMaxBlockwiseStates] = {};
  for (int k = 0; k < kStates; ++k) luts[k] = lut(args.maps[k], Rule::is_signed(k), Rule::is_signed(k));
  for_each_chunk(split_chunks(l), l.total_numel(), [&](const ChunkRef& c) {
    const auto& ptrs = l.ptrs[c.tensor];
    BlockwiseChunk chunk{};
    const math::TensorFormat f{l.format(static_cast<size_t>(c.tensor))};
    const auto at = [&](void* base, unsigned type) { return static_cast<char*>(base) + c.offset * (type == math::kStoreF32 ? 4 : 2); };
    chunk.param = reinterpret_cast<float*>(at(ptrs[0], f.param()));
    chunk.grad = reinterpret_cast<const float*>(at(ptrs[1], f.grad()));
    chunk.format = f.bits;
    chunk.key = l.key(static_cast<size_t>(c.tensor));
    chunk.start = c.offset;
    chunk.shadow = f.shadow() ? at(ptrs[2 + 2 * kStates], f.shadow()) : nullptr;
    for (int k = 0; k < kStates; ++k) {
      chunk.codes[k] = static_cast<uint8_t*>(ptrs[2 + k]) + c.offset;
      chunk.absmax[k] = static_cast<float*>(ptrs[2 + kStates + k]) + c.offset / args.block_size;
      chunk.maps[k] = args.maps[k];
      chunk.luts[k] = luts[k];
    }
    chunk.count = c.count;
    chunk.block = args.block_size;
    chunk.hyper = &args.hyper;
    chunk.tensor_scalars = l.scalars[c.tensor].data();
    loop(chunk);
  });
}

}  // namespace cpu
}  // namespace cuoptim
