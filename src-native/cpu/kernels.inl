// src-native/cpu/kernels.inl — the cpu backend's element loops, compiled once per ISA.
//
// Included by kernels_avx512.cc, kernels_avx2.cc and kernels_baseline.cc, each with its own
// CUOPTIM_CPU_ISA namespace and -m flags; isa.cc picks one table at run time. One loop template
// serves every element-wise Op (kernels/math/elementwise.cuh), instantiated once per flag set so
// the flags are constants and each variant vectorises without branches. The math uses only
// correctly rounded operations and contraction is off, so every ISA gives the same bits.
// Everything here has internal linkage or lives in the ISA namespace, so no symbol compiled for
// one ISA can stand in for another's at link time.

#include <utility>

#include "kernel_table.h"

namespace cuoptim {
namespace cpu {
namespace CUOPTIM_CPU_ISA {

namespace {

template <typename Op, unsigned kFlags>
void elementwise_loop(const ElementwiseChunk& c) {
  constexpr int kStates = Op::kStates > 0 ? Op::kStates : 1;
  float* __restrict p = c.param;
  const float* __restrict g = c.grad;
  float* st[kStates];
  for (int k = 0; k < kStates; ++k) st[k] = c.state[k];
  const typename Op::Hyper h = *static_cast<const typename Op::Hyper*>(c.hyper);
  float ts[Op::kTensorScalars > 0 ? Op::kTensorScalars : 1] = {};
  for (int k = 0; k < Op::kTensorScalars; ++k) ts[k] = c.tensor_scalars[k];
  const int64_t n = c.count;
  for (int64_t i = 0; i < n; ++i) {
    float pi = p[i];
    float s[kStates];
    for (int k = 0; k < Op::kStates; ++k) s[k] = Op::uses_state(kFlags, k) ? st[k][i] : 0.0f;
    Op::update(kFlags, pi, g[i], s, h, ts);
    p[i] = pi;
    for (int k = 0; k < Op::kStates; ++k) {
      if (Op::uses_state(kFlags, k)) st[k][i] = s[k];
    }
  }
}

using ChunkLoop = void (*)(const ElementwiseChunk&);

// The loop for a run-time flag set, from a table of every compile-time one.
template <typename Op, size_t... kFlags>
ChunkLoop loop_for(unsigned flags, std::index_sequence<kFlags...>) {
  static constexpr ChunkLoop table[] = {&elementwise_loop<Op, kFlags>...};
  return table[flags];
}

template <typename Op>
void elementwise(unsigned flags, const ElementwiseChunk& chunk) {
  loop_for<Op>(flags, std::make_index_sequence<Op::kFlagCount>())(chunk);
}

}  // namespace

const KernelTable kTable = {
    CUOPTIM_CPU_ISA_NAME,
#define CUOPTIM_TABLE_ENTRY(name, Op) &elementwise<Op>,
    CUOPTIM_ELEMENTWISE_OPS(CUOPTIM_TABLE_ENTRY)
#undef CUOPTIM_TABLE_ENTRY
};

}  // namespace CUOPTIM_CPU_ISA
}  // namespace cpu
}  // namespace cuoptim
