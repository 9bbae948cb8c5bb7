// src-native/op_args.h — what an optimizer op hands a backend: raw device pointers, sizes and
// host-computed scalars, already validated by ops.cc.
//
// A multi-tensor op works on `depth` parallel tensor lists (params, grads, state...). Tensor i of
// every list has numel[i] elements; tensor i also carries a few per-tensor float scalars (those
// that depend on its own step count, like Adam's bias corrections).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "../kernels/math/blockwise.cuh"
#include "../kernels/math/elementwise.cuh"

namespace cuoptim {

inline constexpr int kMaxTensorLists = 6;
inline constexpr int kMaxTensorScalars = 4;

struct TensorLists {
  int depth = 0;
  std::vector<std::array<void*, kMaxTensorLists>> ptrs;  // ptrs[tensor][list]
  std::vector<int64_t> numel;
  std::vector<std::array<float, kMaxTensorScalars>> scalars;  // scalars[tensor][k]

  size_t size() const { return numel.size(); }
  int64_t total_numel() const {
    int64_t n = 0;
    for (int64_t k : numel) n += k;
    return n;
  }
};

// An element-wise optimizer step (kernels/math/elementwise.cuh): lists are the params, the
// grads, then Op::kStates state lists (nullptr pointers for states the flags leave unused);
// per-tensor scalars are Op's kTensorScalars.
inline constexpr int kParamList = 0;
inline constexpr int kGradList = 1;
inline constexpr int kFirstStateList = 2;

template <typename Op>
struct ElementwiseArgs {
  TensorLists lists;
  typename Op::Hyper hyper;
  unsigned flags = 0;
};

// A blockwise 8-bit optimizer step (kernels/math/blockwise.cuh): lists are the params, the grads,
// Rule::kStates code lists (uint8), then Rule::kStates absmax lists (float, one per block).
template <typename Rule>
struct BlockwiseArgs {
  TensorLists lists;
  typename Rule::Hyper hyper;
  const float* maps[2] = {nullptr, nullptr};  // device pointers: each state's 256-entry map
  int block_size = 256;
};

// quantize_blockwise: lists values (f32), codes (u8), absmax (f32 per block);
// dequantize_blockwise: lists codes, absmax, values.
struct QuantizeArgs {
  TensorLists lists;
  const float* map = nullptr;
  bool is_signed = true;
  int block_size = 4096;
};

}  // namespace cuoptim
