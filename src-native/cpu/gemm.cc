// src-native/cpu/gemm.cc — the matrix product and diagonal add on the cpu backend: B is made
// row-major k x n first (a transposed B is copied), then rows of C are split over the thread
// pool and run through this ISA's row loop (kernels.inl), whose per-element order matches the
// CUDA kernel's.
#include <vector>

#include "cpu_backend.h"
#include "thread_pool.h"

namespace cuoptim {
namespace cpu {

void CpuBackend::gemm(const math::GemmArgs& args) {
  if (args.m == 0 || args.n == 0) return;
  math::GemmArgs g = args;
  std::vector<float> b_rows;
  if (g.trans_b) {
    b_rows.resize(static_cast<size_t>(g.k * g.n));
    for (int64_t kk = 0; kk < g.k; ++kk) {
      for (int64_t j = 0; j < g.n; ++j) b_rows[static_cast<size_t>(kk * g.n + j)] = math::gemm_b(args, kk, j);
    }
    g.b = b_rows.data();
    g.ldb = g.n;
    g.trans_b = 0;
  }
  constexpr int64_t kRows = 16;
  const int64_t blocks = (g.m + kRows - 1) / kRows;
  const GemmRowsFn rows = kernels().gemm_rows;
  const auto run = [&](int64_t b) { rows(g, b * kRows, b * kRows + kRows < g.m ? b * kRows + kRows : g.m); };
  if (g.m * g.n * (g.k > 0 ? g.k : 1) < kSerialBelow) {
    for (int64_t b = 0; b < blocks; ++b) run(b);
  } else {
    parallel_for(blocks, run);
  }
}

void CpuBackend::add_diagonal(float* base, int64_t n, int64_t ld, float value) {
  for (int64_t i = 0; i < n; ++i) base[i * ld + i] += value;
}

}  // namespace cpu
}  // namespace cuoptim
