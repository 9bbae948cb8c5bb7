// kernels/math/gemm.cuh — the matrix product Shampoo's preconditioners are built from, shared by
// every backend: C <- alpha * op(A) op(B) + beta * C on row-major sub-matrices (leading
// dimensions, optional transposes), each C element's sum a chain of fused multiply-adds over k in
// ascending order, so the tiled CUDA kernel and the cpu loops give the same bits.
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

struct GemmArgs {
  int64_t m = 0, n = 0, k = 0;  // C is m x n; op(A) m x k; op(B) k x n
  const float* a = nullptr;
  int64_t lda = 0;
  int trans_a = 0;  // A stored k x m
  const float* b = nullptr;
  int64_t ldb = 0;
  int trans_b = 0;  // B stored n x k
  float* c = nullptr;
  int64_t ldc = 0;
  float alpha = 1.f, beta = 0.f;  // beta == 0: C is written without being read

  // The simulator checks each of these is device memory (kernels/sim/device_registry.h).
  template <typename F>
  void for_each_device_pointer(F&& f) const {
    f(a, "a");
    f(b, "b");
    f(c, "c");
  }
};

CUOPTIM_MATH_FN float gemm_a(const GemmArgs& g, int64_t i, int64_t kk) { return g.trans_a ? g.a[kk * g.lda + i] : g.a[i * g.lda + kk]; }
CUOPTIM_MATH_FN float gemm_b(const GemmArgs& g, int64_t kk, int64_t j) { return g.trans_b ? g.b[j * g.ldb + kk] : g.b[kk * g.ldb + j]; }

// Products one launch runs side by side (gemm_batched): as many as fit CUDA's kernel-parameter
// limit with room to spare.
inline constexpr int kGemmBatch = 32;
struct GemmBatch {
  GemmArgs g[kGemmBatch];
  int count = 0;
  int64_t max_m = 0, max_n = 0;

  template <typename F>
  void for_each_device_pointer(F&& f) const {
    for (int i = 0; i < count; ++i) g[i].for_each_device_pointer(f);
  }
};

// The finished element from its k-chain sum.
CUOPTIM_MATH_FN float gemm_finish(float acc, const float* c, const GemmArgs& g) {
  return g.beta == 0.f ? g.alpha * acc : fmaf(g.alpha, acc, g.beta * *c);
}

}  // namespace math
}  // namespace cuoptim
