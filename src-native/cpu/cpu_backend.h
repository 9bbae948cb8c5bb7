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
inline constexpr int64_t kChunkElems = 32768;
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

 private:
  // One pass over every chunk of every tensor, on the pool, through this ISA's loop for Op.
  template <typename Op>
  void run_elementwise(const ElementwiseArgs<Op>& args, ElementwiseFn loop);
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
  for_each_chunk(split_chunks(l), l.total_numel(), [&](const ChunkRef& c) {
    const auto& ptrs = l.ptrs[c.tensor];
    ElementwiseChunk chunk{};
    chunk.param = static_cast<float*>(ptrs[kParamList]) + c.offset;
    chunk.grad = static_cast<const float*>(ptrs[kGradList]) + c.offset;
    for (int k = 0; k < Op::kStates; ++k) {
      float* base = static_cast<float*>(ptrs[kFirstStateList + k]);
      chunk.state[k] = base ? base + c.offset : nullptr;
    }
    chunk.count = c.count;
    chunk.hyper = &args.hyper;
    chunk.tensor_scalars = l.scalars[c.tensor].data();
    loop(args.flags, chunk);
  });
}

}  // namespace cpu
}  // namespace cuoptim
