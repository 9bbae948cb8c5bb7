// kernels/op_args.h — what an optimizer op hands a backend: raw device pointers, sizes and
// host-computed scalars, already validated by ops.cc.
//
// A multi-tensor op works on `depth` parallel tensor lists (params, grads, state...). Tensor i of
// every list has numel[i] elements; tensor i also carries a few per-tensor float scalars (those
// that depend on its own step count, like Adam's bias corrections).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "math/adafactor.cuh"
#include "math/blockwise.cuh"
#include "math/elementwise.cuh"
#include "math/gemm.cuh"

namespace cuoptim {

inline constexpr int kMaxTensorLists = 9;  // a 3-state blockwise step: p, g, 3 codes, 3 absmax, shadow
inline constexpr int kMaxTensorScalars = 4;

struct TensorLists {
  int depth = 0;
  std::vector<std::array<void*, kMaxTensorLists>> ptrs;  // ptrs[tensor][list]
  std::vector<int64_t> numel;
  std::vector<std::array<float, kMaxTensorScalars>> scalars;  // scalars[tensor][k]
  // A capturable step: the per-tensor scalars in device memory instead, kMaxTensorScalars per
  // tensor in tensor order (a CapturableRecord's; the kernels read them there), else null.
  const float* scalar_table = nullptr;
  // Element-wise steps with 16-bit storage (math::TensorFormat bits, and each tensor's
  // stochastic-rounding key); empty when every list is float32.
  std::vector<uint32_t> formats;
  std::vector<uint32_t> keys;

  uint32_t format(size_t t) const { return formats.empty() ? 0u : formats[t]; }
  uint32_t key(size_t t) const { return keys.empty() ? 0u : keys[t]; }

  size_t size() const { return numel.size(); }
  int64_t total_numel() const {
    int64_t n = 0;
    for (int64_t k : numel) n += k;
    return n;
  }
};

// A capturable Adam step's record in device memory (kernels/cuda/capturable.cu): the options
// its scalars depend on (written before each step, in stream order), then each tensor's step
// count, then each tensor's scalars, which capturable_adam_advance computes on the device after
// advancing the count, so a step reads no host value and can be replayed from a CUDA graph.
struct CapturableHeader {
  double lr, beta1, beta2, weight_decay;
};
struct CapturableRecord {
  void* base;     // device memory of capturable_record_bytes(count)
  int64_t count;  // tensors

  __host__ __device__ static size_t bytes(int64_t count) {
    return sizeof(CapturableHeader) + static_cast<size_t>(count) * (sizeof(double) + kMaxTensorScalars * sizeof(float));
  }
  __host__ __device__ CapturableHeader* header() const { return static_cast<CapturableHeader*>(base); }
  __host__ __device__ double* steps() const { return reinterpret_cast<double*>(static_cast<char*>(base) + sizeof(CapturableHeader)); }
  __host__ __device__ float* scalars() const { return reinterpret_cast<float*>(steps() + count); }

  // The simulator checks each of these is device memory (kernels/sim/device_registry.h).
  template <typename F>
  void for_each_device_pointer(F&& f) const {
    f(base, "base");
  }
};

// Advances tensor t's step count in `r` by one and writes its Adam scalars: what every backend's
// capturable_adam_advance does per tensor.
CUOPTIM_MATH_FN void advance_capturable_adam(const CapturableRecord& r, int64_t t) {
  const CapturableHeader h = *r.header();
  const double step = r.steps()[t] + 1.0;
  r.steps()[t] = step;
  const math::AdamStepScalars s = math::adam_step_scalars(h.lr, h.beta1, h.beta2, h.weight_decay, step);
  float* out = r.scalars() + t * kMaxTensorScalars;
  out[0] = s.neg_step_size;
  out[1] = s.bias_correction2_sqrt;
  out[2] = s.decay_factor;
}

// An element-wise optimizer step (kernels/math/elementwise.cuh): lists are the params, the
// grads, then Op::kStates state lists (nullptr pointers for states the flags leave unused), then
// the shadow list (the 16-bit params of a step that updates f32 masters; null otherwise);
// per-tensor scalars are Op's kTensorScalars.
inline constexpr int kParamList = 0;
inline constexpr int kGradList = 1;
inline constexpr int kFirstStateList = 2;
template <typename Op>
inline constexpr int kShadowList = kFirstStateList + Op::kStates;
template <typename Op>
inline constexpr int kElementwiseDepth = kFirstStateList + Op::kStates + 1;

template <typename Op>
struct ElementwiseArgs {
  TensorLists lists;
  typename Op::Hyper hyper;
  unsigned flags = 0;
};

// A blockwise 8-bit optimizer step (kernels/math/blockwise.cuh): lists are the params, the grads,
// Rule::kStates code lists (uint8), Rule::kStates absmax lists (float, one per block), then the
// shadow list (16-bit params of a step on f32 masters, as for the element-wise ops). Params and
// grads may be 16-bit (TensorLists::formats: param, grad, stochastic and shadow bits).
template <typename Rule>
struct BlockwiseArgs {
  TensorLists lists;
  typename Rule::Hyper hyper;
  const float* maps[math::kMaxBlockwiseStates] = {};  // device pointers: each state's 256-entry map
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

// Gradient norm: lists grads (float) and partials (double*, one per kNormChunk elements of the
// tensor); `inf_norm`: max |g| instead of the sum of squares.
inline constexpr int64_t kNormChunk = 65536;  // the CUDA multi-tensor chunk: one partial each
struct NormArgs {
  TensorLists lists;
  bool inf_norm = false;
};

// Clipping transforms applied in place: lists = the tensors; kind = math::TransformKind.
// A reduction across ranks (kernels/math/fold.cuh): `ranks` blocks of `count` elements side by
// side in `blocks`, folded into `out` (count elements). type: a math::StorageType, or
// math::kFoldBytes for uint8; op: a math::FoldOp.
struct FoldArgs {
  const void* blocks = nullptr;
  void* out = nullptr;
  int ranks = 1;
  int64_t count = 0;
  unsigned type = 0;
  int op = 0;
};

struct TransformArgs {
  TensorLists lists;
  int kind = 0;
  float value = 1.0f;
};

// Adafactor (kernels/math/adafactor.cuh): one entry per param. A factored param is B slices of
// an R x C matrix with row (B*R) and col (B*C) states; a vector param has R = B = 1, C = numel
// and a full `variance`. `exp_avg` is the transformers variant's optional first moment.
struct AdafactorTensor {
  float* param = nullptr;
  const float* grad = nullptr;
  float* row = nullptr;
  float* col = nullptr;
  float* variance = nullptr;
  float* exp_avg = nullptr;
  float* res_row = nullptr;  // CAME, factored: the instability's row and column statistics
  float* res_col = nullptr;
  int64_t batch = 1, rows = 1, cols = 1;
  bool factored = false;
  math::AdafactorStepScalars step{};
  // AdafactorWorkspace::layout(*this).bytes of device scratch (cuda, cuda-sim; the cpu backend
  // keeps its own), provided by the caller so that no step allocates once it has begun.
  void* workspace = nullptr;

  __host__ __device__ int64_t numel() const { return batch * rows * cols; }
  __host__ __device__ int64_t strips() const { return (cols + math::kAdafactorStrip - 1) / math::kAdafactorStrip; }
  __host__ __device__ int64_t segments() const { return (rows + math::kAdafactorSegRows - 1) / math::kAdafactorSegRows; }
  __host__ __device__ int64_t tiles() const { return batch * segments() * strips(); }

  // The simulator checks each of these is device memory (kernels/sim/device_registry.h).
  template <typename F>
  void for_each_device_pointer(F&& f) const {
    f(param, "param");
    f(grad, "grad");
    f(row, "row");
    f(col, "col");
    f(variance, "variance");
    f(exp_avg, "exp_avg");
    f(res_row, "res_row");
    f(res_col, "res_col");
    f(workspace, "workspace");
  }
};

struct AdafactorArgs {
  std::vector<AdafactorTensor> tensors;
  math::AdafactorHyper hyper{};
};

// Scratch one Adafactor tensor's reductions need, in doubles, laid out one after another:
// row partials [B][R][strips], column partials [B][segments][C] (factored only), tile sums of
// p² and of U² [tiles] each; then r_mean [B] floats and the tensor scalars.
struct AdafactorWorkspace {
  int64_t row_partials = 0, col_partials = 0, tile_p2 = 0, tile_u2 = 0, r_mean = 0, scalars = 0, bytes = 0;
  static AdafactorWorkspace layout(const AdafactorTensor& t) {
    AdafactorWorkspace w;
    const int64_t rp = t.factored ? t.batch * t.rows * t.strips() : 0;
    const int64_t cp = t.factored ? t.batch * t.segments() * t.cols : 0;
    w.row_partials = 0;
    w.col_partials = w.row_partials + rp * 8;
    w.tile_p2 = w.col_partials + cp * 8;
    w.tile_u2 = w.tile_p2 + t.tiles() * 8;
    w.r_mean = w.tile_u2 + t.tiles() * 8;
    w.scalars = (w.r_mean + t.batch * 4 + 15) / 16 * 16;
    w.bytes = w.scalars + static_cast<int64_t>(sizeof(math::AdafactorTensorScalars));
    return w;
  }
};

}  // namespace cuoptim
