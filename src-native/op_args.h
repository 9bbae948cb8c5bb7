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

#include "../kernels/math/adamw.cuh"

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

// Adam / AdamW. Lists and per-tensor scalars, by index:
namespace adam_list {
inline constexpr int kParam = 0, kGrad = 1, kExpAvg = 2, kExpAvgSq = 3, kMaxExpAvgSq = 4;
inline constexpr int kDepth = 4, kDepthAmsgrad = 5;
inline constexpr int kNegStepSize = 0, kBiasCorrection2Sqrt = 1;
}  // namespace adam_list

struct AdamArgs {
  TensorLists lists;
  math::AdamHyper hyper;
  unsigned flags = 0;  // math::AdamFlags
};

}  // namespace cuoptim
