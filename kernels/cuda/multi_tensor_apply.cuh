// kernels/cuda/multi_tensor_apply.cuh — one launch updates every tensor of a step.
//
// After apex's csrc/multi_tensor_apply.cuh and PyTorch's MultiTensorApply.cuh: tensors are cut
// into fixed-size chunks and each block takes one chunk. The tensor pointers, sizes and
// per-tensor scalars of a launch travel in a POD metadata struct passed by value as a kernel
// parameter, with each tensor's first block: block b takes the chunk b - first_block[t] of the
// tensor t whose range holds b (a binary search over the launch's tensors). The grid is as large
// as the tensors' chunks need, so a launch is limited only by how many tensors its struct holds:
// 32,764 bytes of kernel parameters on CUDA >= 12.1 (Volta and later, driver >= 530; the 4 KiB
// of older toolkits otherwise), which is hundreds of tensors. A step with more is split into
// several launches, whole tensors each. An optimizer supplies a functor that the kernel calls
// with its block's chunk. A capturable step's scalars stay in device memory
// (TensorLists::scalar_table): the metadata then carries the table and each slot's tensor index,
// so a graph replay reads the current values.
#pragma once

#include <cstdint>

#include "../op_args.h"
#include "launch.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

inline constexpr int kBlockSize = 512;        // threads per block
inline constexpr int kILP = 4;                // elements per thread per iteration (one float4)
inline constexpr int64_t kChunkSize = 65536;  // elements per block
inline constexpr int kReservedParamBytes = 256;  // the functor's own arguments

// Tensors per launch for `depth` lists and `scalars` per-tensor floats, filling the budget.
constexpr int max_tensors(int depth, int scalars) {
  return (kParamBudgetBytes - kReservedParamBytes - 8 - 4 - 4) / (depth * 8 + 8 + (scalars > 0 ? scalars : 1) * 4 + 16);
}

template <int kDepth, int kScalars>
struct TensorListMetadata {
  static constexpr int kMaxTensors = max_tensors(kDepth, kScalars);
  void* addresses[kDepth][kMaxTensors];
  int64_t sizes[kMaxTensors];
  float scalars[kMaxTensors][kScalars > 0 ? kScalars : 1];
  unsigned formats[kMaxTensors];     // math::TensorFormat bits (element-wise steps; 0: float32)
  unsigned keys[kMaxTensors];        // stochastic-rounding keys
  int tensor_index[kMaxTensors];     // each slot's tensor in the step (its row of scalar_table)
  int first_block[kMaxTensors + 1];  // slot t's chunks are blocks first_block[t] .. first_block[t + 1] - 1
  int tensors;                       // slots in use
  const float* scalar_table;         // a capturable step's scalars (kMaxTensorScalars per tensor), or null

  // The simulator checks each of these is device memory (kernels/sim/device_registry.h).
  template <typename F>
  void for_each_device_pointer(F&& f) const {
    for (int d = 0; d < kDepth; ++d) {
      for (int t = 0; t < tensors; ++t) f(addresses[d][t], "tensor list address");
    }
    f(scalar_table, "scalar_table");
  }
};

// A chunk as one block sees it: its tensor's base pointers, the chunk's first element and length.
template <int kDepth>
struct Chunk {
  void* base[kDepth];  // null for unused lists
  int64_t start;       // first element of the chunk within its tensor
  int64_t count;       // elements in this chunk (<= kChunkSize)
  int tensor;          // slot in the metadata (for per-tensor scalars)
  unsigned format;     // the tensor's math::TensorFormat bits
  unsigned key;        // its stochastic-rounding key

  // List d's pointer at the chunk's first element, for lists of T per element (null stays null).
  template <typename T>
  __device__ __forceinline__ T* at(int d) const {
    return base[d] ? static_cast<T*>(base[d]) + start : nullptr;
  }
};

template <int kDepth, int kScalars>
__device__ __forceinline__ Chunk<kDepth> block_chunk(const TensorListMetadata<kDepth, kScalars>& meta) {
  const int b = static_cast<int>(blockIdx.x);
  const int lo = slot_of_block(meta.first_block, meta.tensors, b);  // every slot has at least one chunk
  Chunk<kDepth> c;
  c.tensor = lo;
  c.start = static_cast<int64_t>(b - meta.first_block[lo]) * kChunkSize;
  const int64_t left = meta.sizes[c.tensor] - c.start;
  c.count = left < kChunkSize ? left : kChunkSize;
  c.format = meta.formats[c.tensor];
  c.key = meta.keys[c.tensor];
  for (int d = 0; d < kDepth; ++d) c.base[d] = meta.addresses[d][c.tensor];
  return c;
}

// True when every float list's pointer at the chunk is 16-byte aligned and the count a multiple
// of kILP, so the functor may move float4s.
template <int kDepth>
__device__ __forceinline__ bool chunk_is_vectorisable(const Chunk<kDepth>& c) {
  bool ok = c.count % kILP == 0;
  for (int d = 0; d < kDepth; ++d) ok = ok && (reinterpret_cast<uintptr_t>(c.template at<float>(d)) % 16 == 0);
  return ok;
}

// Functor::kThreads threads per block when the functor says so, else kBlockSize.
template <typename Functor, typename = void>
struct threads_of {
  static constexpr int value = kBlockSize;
};
template <typename Functor>
struct threads_of<Functor, decltype(void(Functor::kThreads))> {
  static constexpr int value = Functor::kThreads;
};

// Functor::kMinBlocksPerSm when the functor says so, else 1: the occupancy ptxas must allow
// (a register budget of 64K / (threads * blocks)), for functors whose per-thread state ptxas
// would otherwise squeeze into too few registers and spill.
template <typename Functor, typename = void>
struct min_blocks_of {
  static constexpr int value = 1;
};
template <typename Functor>
struct min_blocks_of<Functor, decltype(void(Functor::kMinBlocksPerSm))> {
  static constexpr int value = Functor::kMinBlocksPerSm;
};

template <int kDepth, int kScalars, typename Functor, typename... Args>
__global__ void __launch_bounds__(threads_of<Functor>::value, min_blocks_of<Functor>::value) multi_tensor_apply_kernel(kernel_param<TensorListMetadata<kDepth, kScalars>> meta, Args... args) {
  Functor::apply(block_chunk(meta), meta, args...);
}

// A tensor's scalars: the launch's copy, or a capturable step's row in device memory.
template <int kScalars, typename Meta>
__device__ __forceinline__ const float* tensor_scalars(const Meta& meta, int slot) {
  return meta.scalar_table ? meta.scalar_table + static_cast<int64_t>(meta.tensor_index[slot]) * kMaxTensorScalars : meta.scalars[slot];
}

// Packs lists[0 .. kDepth) of every tensor into as few launches as the metadata allows.
template <int kDepth, int kScalars, typename Functor, typename... Args>
void multi_tensor_apply(const TensorLists& lists, const char* name, StreamHandle stream, const Args&... args) {
  using Meta = TensorListMetadata<kDepth, kScalars>;
  static_assert(sizeof(Meta) + kReservedParamBytes <= kParamBudgetBytes, "metadata exceeds the kernel-parameter limit");
  Meta meta{};
  meta.scalar_table = lists.scalar_table;
  int64_t blocks = 0;
  auto flush = [&]() {
    if (meta.tensors > 0) {
      meta.first_block[meta.tensors] = static_cast<int>(blocks);
      launch(multi_tensor_apply_kernel<kDepth, kScalars, Functor, Args...>, name, dim3(static_cast<unsigned>(blocks)),
             dim3(threads_of<Functor>::value), 0, stream, meta, args...);
    }
    meta.tensors = 0;
    blocks = 0;
  };
  for (size_t t = 0; t < lists.size(); ++t) {
    const int64_t n = lists.numel[t];
    const int64_t chunks = (n + kChunkSize - 1) / kChunkSize;
    if (chunks == 0) continue;  // an empty tensor takes no slot
    if (meta.tensors == Meta::kMaxTensors || blocks + chunks > kMaxGridBlocks) flush();
    const int slot = meta.tensors++;
    for (int d = 0; d < kDepth; ++d) meta.addresses[d][slot] = lists.ptrs[t][d];
    meta.sizes[slot] = n;
    for (int s = 0; s < kScalars; ++s) meta.scalars[slot][s] = lists.scalars[t][s];
    meta.formats[slot] = lists.format(t);
    meta.keys[slot] = lists.key(t);
    meta.tensor_index[slot] = static_cast<int>(t);
    meta.first_block[slot] = static_cast<int>(blocks);
    blocks += chunks;
  }
  flush();
}

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
