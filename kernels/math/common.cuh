// kernels/math/common.cuh — what every per-element math header needs, for every compiler.
//
// The math headers are compiled three ways: by nvcc for the cuda backend, by the host compiler
// against kernels/sim/cuda_sim.h for cuda-sim, and by the host compiler alone for the cpu
// backend. CUOPTIM_MATH_FN marks a per-element function for all three: inline, internal linkage
// (so the cpu backend's per-ISA copies never merge across translation units) and __host__
// __device__ under nvcc.
//
// Bit-identical results across backends rest on three rules kept by every caller:
//   * contraction off (-ffp-contract=off on the host, --fmad=false under nvcc);
//   * only correctly rounded operations: + - * /, sqrtf, fmaf, fminf/fmaxf, comparisons;
//   * hyper-parameter scalars computed once on the host (in double) and passed in as float.
#pragma once

#include <math.h>
#include <stdint.h>

#if !defined(__CUDACC__) && !defined(CUOPTIM_SIM)
#define __host__
#define __device__
#endif

#define CUOPTIM_MATH_FN static inline __host__ __device__

// Unroll the next loop completely (a short, constant trip count), so host compilers can then
// vectorise the loop around it.
#if defined(__CUDACC__)
#define CUOPTIM_UNROLL _Pragma("unroll")
#elif defined(__clang__)
#define CUOPTIM_UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define CUOPTIM_UNROLL _Pragma("GCC unroll 16")
#else
#define CUOPTIM_UNROLL
#endif

namespace cuoptim {
namespace math {

// max(a, b) with torch.maximum's NaN rule: NaN in either operand gives NaN.
CUOPTIM_MATH_FN float nan_max(float a, float b) {
  return (a != a || b != b) ? a + b : (a > b ? a : b);
}
CUOPTIM_MATH_FN double nan_max_d(double a, double b) {
  return (a != a || b != b) ? a + b : (a > b ? a : b);
}

// torch's lerp (ATen Lerp.h): self + w*(end - self) for |w| < 0.5, else end - (end - self)*(1 - w).
CUOPTIM_MATH_FN float torch_lerp(float self, float end, float w) {
  return (fabsf(w) < 0.5f) ? self + w * (end - self) : end - (end - self) * (1.0f - w);
}

// Clipping's in-place element transforms: 0 = multiply by value, 1 = clamp to [-value, value]
// (NaN stays NaN, as torch.clamp).
enum TransformKind : int { kTransformScale = 0, kTransformClamp = 1 };
CUOPTIM_MATH_FN float transform_element(float x, int kind, float value) {
  if (kind == kTransformScale) return x * value;
  if (x != x) return x;
  return x < -value ? -value : (x > value ? value : x);
}

}  // namespace math
}  // namespace cuoptim
