// src-native/cpu/kernel_table.h — the cpu kernels one ISA build provides, as plain function
// pointers, plus the chunk descriptor they take.
#pragma once

#include <cstdint>

#include "../../kernels/math/elementwise.cuh"

namespace cuoptim {
namespace cpu {

inline constexpr int kMaxStates = 4;

// One contiguous run of one tensor's elements, for an element-wise Op.
struct ElementwiseChunk {
  float* param;
  const float* grad;
  float* state[kMaxStates];  // null for states the flags leave unused
  int64_t count;
  const void* hyper;          // const Op::Hyper*
  const float* tensor_scalars;
};
using ElementwiseFn = void (*)(unsigned flags, const ElementwiseChunk& chunk);

struct KernelTable {
  const char* isa;
#define CUOPTIM_TABLE_ENTRY(name, Op) ElementwiseFn name;
  CUOPTIM_ELEMENTWISE_OPS(CUOPTIM_TABLE_ENTRY)
#undef CUOPTIM_TABLE_ENTRY
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
