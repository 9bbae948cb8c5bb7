// src-native/cpu/kernel_table.h — the cpu kernels one ISA build provides, as plain function
// pointers, plus the chunk descriptors they take.
#pragma once

#include <cstdint>

#include "../../kernels/math/adamw.cuh"

namespace cuoptim {
namespace cpu {

// One contiguous run of one tensor's elements.
struct AdamChunk {
  float* param;
  const float* grad;
  float* exp_avg;
  float* exp_avg_sq;
  float* max_exp_avg_sq;  // nullptr unless AMSGrad
  int64_t count;
  const math::AdamHyper* hyper;
  math::AdamStepScalars step;
};
using AdamChunkFn = void (*)(const AdamChunk&);

struct KernelTable {
  const char* isa;
  void (*adam)(unsigned flags, const AdamChunk& chunk);
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
