// src-native/cpu/kernel_table.h — the cpu kernels one ISA build provides, as plain function
// pointers, plus the chunk descriptor they take.
#pragma once

#include <array>
#include <cstdint>

#include "../../kernels/math/adafactor.cuh"
#include "../../kernels/math/blockwise.cuh"
#include "../../kernels/math/elementwise.cuh"
#include "../../kernels/math/gemm.cuh"
#include "code_lut.h"

namespace cuoptim {
namespace cpu {

inline constexpr int kMaxStates = 4;

// One contiguous run of one tensor's elements, for an element-wise Op. With 16-bit storage
// (`format`, kernels/math/half.cuh) the pointers point at 16-bit elements where the format says
// so, and `start` (the run's first element within its tensor) and `key` give stochastic rounding
// its random bits.
struct ElementwiseChunk {
  float* param;
  const float* grad;
  float* state[kMaxStates];  // null for states the flags leave unused
  int64_t count;
  const void* hyper;          // const Op::Hyper*
  const float* tensor_scalars;
  unsigned format = 0;        // math::TensorFormat bits; 0: all float32
  uint32_t key = 0;
  int64_t start = 0;
  void* shadow = nullptr;     // the 16-bit param a master's update is written to
};
using ElementwiseFn = void (*)(unsigned flags, const ElementwiseChunk& chunk);

// One chunk (whole quant blocks of one tensor) for a blockwise 8-bit Rule.
struct BlockwiseChunk {
  float* param;
  const float* grad;
  uint8_t* codes[math::kMaxBlockwiseStates];
  float* absmax[math::kMaxBlockwiseStates];  // at the chunk's first block
  const float* maps[math::kMaxBlockwiseStates];
  const CodeLut* luts[math::kMaxBlockwiseStates];  // the maps' lookup tables (null: use the binary search)
  int64_t count;
  int block;
  const void* hyper;  // const Rule::Hyper*
  const float* tensor_scalars;
  // 16-bit params / grads (as ElementwiseChunk's): pointers at 16-bit elements where the format
  // says so.
  unsigned format = 0;
  uint32_t key = 0;
  int64_t start = 0;
  void* shadow = nullptr;
};
using BlockwiseFn = void (*)(const BlockwiseChunk& chunk);

// One chunk of a blockwise (de)quantization: values <-> codes + absmax.
struct QuantizeChunk {
  float* values;
  uint8_t* codes;
  float* absmax;  // at the chunk's first block
  const float* map;
  const CodeLut* lut;  // the map's table (null: quantize by the binary search, dequantize from the map alone)
  int64_t count;
  int block;
  bool is_signed;
};
using QuantizeFn = void (*)(const QuantizeChunk& chunk);

// Rows [i0, i1) of a matrix product whose B is row-major k x n (not transposed: the caller
// transposes it first), each element's sum over k in order (kernels/math/gemm.cuh).
using GemmRowsFn = void (*)(const math::GemmArgs& g, int64_t i0, int64_t i1);

// One row of an Adafactor tile: its n contiguous lanes (src-native/cpu/adafactor_rows.inl).
struct AdafactorRowArgs {
  float* param;
  const float* grad;
  float* exp_avg;     // null without a first moment
  float* variance;    // vectors: the full second moment; null when factored
  const float* col;   // factored: the column statistics at the row's first lane
  // factored, transformers' and CAME's update: math::adafactor_col_factor of each col, at the
  // row's first lane (computed once per pass), and adafactor_row_factor of row and r_mean
  const float* col_factor;
  float row_factor;
  float row, r_mean;  // factored: the row's statistic, and mean_r(R)
  int n;
};
using AdafactorStatsRowFn = void (*)(const AdafactorRowArgs& a, const math::AdafactorHyper& h, const math::AdafactorStepScalars& step,
                                     double* p2, double* col_acc, double* q);
using AdafactorRmsRowFn = void (*)(const AdafactorRowArgs& a, const math::AdafactorHyper& h, double* u2);
using AdafactorUpdateRowFn = void (*)(const AdafactorRowArgs& a, const math::AdafactorHyper& h, const math::AdafactorTensorScalars& s);
using CameResRowFn = void (*)(const AdafactorRowArgs& a, const math::AdafactorHyper& h, const math::AdafactorTensorScalars& s,
                              double* col_acc, double* res);
using CameUpdateRowFn = void (*)(const AdafactorRowArgs& a, const math::AdafactorHyper& h);

// Each row kernel instantiated per (factored, torch variant[, first moment, weight decay]); the
// CAME kernels read only the bits they use.
struct AdafactorRowKernels {
  std::array<AdafactorStatsRowFn, 4> stats;
  std::array<AdafactorRmsRowFn, 4> rms_u;
  std::array<AdafactorUpdateRowFn, 16> update;
  std::array<CameResRowFn, 16> came_res;
  std::array<CameUpdateRowFn, 16> came_update;
};
static constexpr int adafactor_row_index(bool factored, bool torch, bool moment = false, bool decay = false) {
  return (factored ? 1 : 0) | (torch ? 2 : 0) | (moment ? 4 : 0) | (decay ? 8 : 0);
}

// One row of the gradient norm's lanes (norm.cc): acc[t] += g[t]² (sum of squares) or
// acc[t] = nan_max(acc[t], |g[t]|) (inf norm), for t < n.
using NormLanesFn = void (*)(const float* g, int n, double* acc);
// tree_reduce.h's block_sum, vectorised per ISA (the same combines in the same order).
using BlockSumFn = double (*)(const double* per_thread, int threads);

struct KernelTable {
  const char* isa;
#define CUOPTIM_TABLE_ENTRY(name, Op) ElementwiseFn name;
  CUOPTIM_ELEMENTWISE_OPS(CUOPTIM_TABLE_ENTRY)
#undef CUOPTIM_TABLE_ENTRY
#define CUOPTIM_TABLE_ENTRY(name, Rule) BlockwiseFn name;
  CUOPTIM_BLOCKWISE_OPS(CUOPTIM_TABLE_ENTRY)
#undef CUOPTIM_TABLE_ENTRY
  QuantizeFn quantize_blockwise;
  QuantizeFn dequantize_blockwise;
  GemmRowsFn gemm_rows;
  AdafactorRowKernels adafactor_rows;
  NormLanesFn norm_sq_lanes;
  NormLanesFn norm_inf_lanes;
  BlockSumFn block_sum;
};

namespace avx512 { extern const KernelTable kTable; }
namespace avx2 { extern const KernelTable kTable; }
namespace baseline { extern const KernelTable kTable; }

// The table for the best ISA this CPU has (or the one named by CUOPTIM_CPU_ISA / set_isa).
const KernelTable& kernels();
// Selects an ISA by name ("avx512", "avx2", "baseline"); false when this CPU lacks it.
bool set_isa(const char* name);

}  // namespace cpu
}  // namespace cuoptim
