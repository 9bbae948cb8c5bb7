// src-native/cpu/kernels.inl — the cpu backend's element loops, compiled once per ISA.
//
// Included by kernels_avx512.cc, kernels_avx2.cc and kernels_baseline.cc, each with its own
// CUOPTIM_CPU_ISA namespace and -m flags; isa.cc picks one table at run time. The loops call the
// shared per-element math (kernels/math) and leave vectorisation to the compiler: the math uses
// only correctly rounded operations and contraction is off, so every ISA gives the same bits.
// Everything here has internal linkage or lives in the ISA namespace, so no symbol compiled for
// one ISA can stand in for another's at link time.

#include <utility>

#include "../../kernels/math/adamw.cuh"
#include "kernel_table.h"

namespace cuoptim {
namespace cpu {
namespace CUOPTIM_CPU_ISA {

namespace {

template <unsigned kFlags>
void adam_loop(const AdamChunk& c) {
  float* __restrict p = c.param;
  float* __restrict m = c.exp_avg;
  float* __restrict v = c.exp_avg_sq;
  float* __restrict vmax = c.max_exp_avg_sq;
  const float* __restrict g = c.grad;
  const math::AdamHyper h = *c.hyper;
  const math::AdamStepScalars s = c.step;
  const int64_t n = c.count;
  for (int64_t i = 0; i < n; ++i) {
    float pi = p[i], mi = m[i], vi = v[i];
    float vmaxi = (kFlags & math::kAdamAmsgrad) ? vmax[i] : 0.0f;
    math::adam_update(kFlags, pi, mi, vi, vmaxi, g[i], h, s);
    p[i] = pi;
    m[i] = mi;
    v[i] = vi;
    if (kFlags & math::kAdamAmsgrad) vmax[i] = vmaxi;
  }
}

template <size_t... kFlags>
constexpr AdamChunkFn adam_table_entry(unsigned flags, std::index_sequence<kFlags...>) {
  constexpr AdamChunkFn table[] = {&adam_loop<kFlags>...};
  return table[flags];
}

void adam_chunk(unsigned flags, const AdamChunk& chunk) {
  adam_table_entry(flags, std::make_index_sequence<math::kAdamFlagCount>())(chunk);
}

}  // namespace

const KernelTable kTable = {
    CUOPTIM_CPU_ISA_NAME,
    &adam_chunk,
};

}  // namespace CUOPTIM_CPU_ISA
}  // namespace cpu
}  // namespace cuoptim
