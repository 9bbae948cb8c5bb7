// src-native/distributed/collectives.cc — rank-order reductions over host memory (see collectives.h).
#include "collectives.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "world.h"
#include "../../kernels/math/half.cuh"

namespace cuoptim::dist {

namespace {

float load(const char* base, DType dtype, int64_t i) {
  switch (dtype) {
    case DType::F32: {
      float x;
      std::memcpy(&x, base + 4 * i, 4);
      return x;
    }
    case DType::BF16:
    case DType::F16: {
      uint16_t h;
      std::memcpy(&h, base + 2 * i, 2);
      return dtype == DType::BF16 ? math::bf16_to_f32(h) : math::f16_to_f32(h);
    }
    case DType::U8:
      return static_cast<float>(static_cast<const uint8_t*>(static_cast<const void*>(base))[i]);
  }
  return 0.0f;
}

void store(char* base, DType dtype, int64_t i, float x) {
  switch (dtype) {
    case DType::F32:
      std::memcpy(base + 4 * i, &x, 4);
      return;
    case DType::BF16:
    case DType::F16: {
      const uint16_t h = dtype == DType::BF16 ? math::f32_to_bf16(x) : math::f32_to_f16(x);
      std::memcpy(base + 2 * i, &h, 2);
      return;
    }
    case DType::U8:
      reinterpret_cast<uint8_t*>(base)[i] = static_cast<uint8_t>(x);
      return;
  }
}

// torch.maximum's rule: NaN wins.
float max_nan(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<float>::quiet_NaN();
  return a > b ? a : b;
}

// out[i] = fold over ranks r = 0, 1, ... of blocks[r][i]; blocks are `count` elements apart.
void fold_blocks(const char* blocks, int ranks, int64_t count, DType dtype, ReduceOp op, char* out) {
  const size_t stride = static_cast<size_t>(count) * dtype_size(dtype);
  if (dtype == DType::U8) {
    // Integers: sum wraps modulo 256 as torch's uint8 does; avg is refused before this.
    for (int64_t i = 0; i < count; ++i) {
      uint8_t acc = static_cast<uint8_t>(blocks[i]);
      for (int r = 1; r < ranks; ++r) {
        const uint8_t v = static_cast<uint8_t>(blocks[r * stride + i]);
        acc = op == ReduceOp::Max ? (v > acc ? v : acc) : static_cast<uint8_t>(acc + v);
      }
      reinterpret_cast<uint8_t*>(out)[i] = acc;
    }
    return;
  }
  const float divisor = static_cast<float>(ranks);
  for (int64_t i = 0; i < count; ++i) {
    float acc = load(blocks, dtype, i);
    for (int r = 1; r < ranks; ++r) {
      const float v = load(blocks + r * stride, dtype, i);
      acc = op == ReduceOp::Max ? max_nan(acc, v) : acc + v;
    }
    if (op == ReduceOp::Avg) acc = acc / divisor;
    store(out, dtype, i, acc);
  }
}

}  // namespace

bool parse_reduce_op(const std::string& name, ReduceOp* out) {
  if (name == "sum") *out = ReduceOp::Sum;
  else if (name == "avg") *out = ReduceOp::Avg;
  else if (name == "max") *out = ReduceOp::Max;
  else return false;
  return true;
}

const char* reduce_op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return "sum";
    case ReduceOp::Avg: return "avg";
    case ReduceOp::Max: return "max";
  }
  return "?";
}

void all_reduce(World& w, void* data, int64_t numel, DType dtype, ReduceOp op, const char* what) {
  const int n = w.info().size;
  if (n == 1 || numel == 0) return;  // one contribution: sum, avg (x / 1) and max are x itself
  const size_t es = dtype_size(dtype);
  const int64_t seg = (numel + n - 1) / n;
  const size_t block = static_cast<size_t>(seg) * es;
  // Block r: elements [r * seg, (r + 1) * seg) for rank r to fold, the last ones zero-padded.
  std::vector<char> send(block * n, 0), recv(block * n);
  std::memcpy(send.data(), data, static_cast<size_t>(numel) * es);
  w.all_to_all(send.data(), block, recv.data(), what);
  std::vector<char> mine(block);
  fold_blocks(recv.data(), n, seg, dtype, op, mine.data());
  w.all_gather(mine.data(), block, send.data(), what);
  std::memcpy(data, send.data(), static_cast<size_t>(numel) * es);
}

void reduce_scatter(World& w, const void* input, void* output, int64_t count, DType dtype, ReduceOp op, const char* what) {
  const int n = w.info().size;
  const size_t block = static_cast<size_t>(count) * dtype_size(dtype);
  if (block == 0) return;
  if (n == 1) {  // one contribution: the fold is the input itself
    std::memmove(output, input, block);
    return;
  }
  std::vector<char> recv(block * n);
  w.all_to_all(input, block, recv.data(), what);
  fold_blocks(recv.data(), n, count, dtype, op, static_cast<char*>(output));
}

void reduce(World& w, void* data, int64_t numel, DType dtype, ReduceOp op, int root, const char* what) {
  const int n = w.info().size;
  const size_t bytes = static_cast<size_t>(numel) * dtype_size(dtype);
  if (bytes == 0 || n == 1) return;
  const bool is_root = w.info().rank == root;
  std::vector<char> recv(is_root ? bytes * n : 0);
  w.gather(data, bytes, recv.data(), root, what);
  if (is_root) fold_blocks(recv.data(), n, numel, dtype, op, static_cast<char*>(data));
}

}  // namespace cuoptim::dist
