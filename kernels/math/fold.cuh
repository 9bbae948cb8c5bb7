// kernels/math/fold.cuh — one element of a reduction across ranks (cuoptim/distributed): the
// ranks' values of element i, one block of `count` elements per rank, folded in rank order
// (rank 0 first). Floats are widened to float32 (half.cuh), folded there and stored once,
// rounded to nearest-even: sum, avg (the sum divided by the rank count) or max (NaN wins, as
// nan_max). Bytes (uint8) sum modulo 256 or take the max. One source for the cpu fold
// (src-native/cpu/cpu_backend.cc) and the kernel (kernels/cuda/fold.cu), so both give the
// same bits.
#pragma once

#include "common.cuh"
#include "half.cuh"

namespace cuoptim {
namespace math {

enum FoldOp : int { kFoldSum = 0, kFoldAvg = 1, kFoldMax = 2 };
// `type` of fold_element: a StorageType, or this for uint8.
constexpr unsigned kFoldBytes = 3;

CUOPTIM_MATH_FN void fold_element(const void* blocks, void* out, int ranks, int64_t count, unsigned type, int op, int64_t i) {
  if (type == kFoldBytes) {
    const uint8_t* b = static_cast<const uint8_t*>(blocks);
    unsigned acc = b[i];
    for (int r = 1; r < ranks; ++r) {
      const unsigned v = b[r * count + i];
      acc = op == kFoldMax ? (v > acc ? v : acc) : (acc + v) & 0xffu;
    }
    static_cast<uint8_t*>(out)[i] = static_cast<uint8_t>(acc);
    return;
  }
  float acc = load_as_f32(blocks, type, i);
  for (int r = 1; r < ranks; ++r) {
    const float v = load_as_f32(blocks, type, r * count + i);
    acc = op == kFoldMax ? nan_max(acc, v) : acc + v;
  }
  if (op == kFoldAvg) acc = acc / static_cast<float>(ranks);
  store_from_f32(out, type, i, acc, false, 0u);
}

}  // namespace math
}  // namespace cuoptim
