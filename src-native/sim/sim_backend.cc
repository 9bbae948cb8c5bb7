// src-native/sim/sim_backend.cc — simulated device memory and the op -> kernel dispatch.
#include "sim_backend.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "../../kernels/cuda/launchers.h"
#include "../../kernels/sim/device_registry.h"
#include "../../kernels/errors.h"

namespace cuoptim {
namespace sim {

namespace {
constexpr size_t kAlignment = 256;  // cudaMalloc's alignment
#if defined(__SANITIZE_ADDRESS__)
// Under AddressSanitizer: exactly the bytes asked for (at least one), so a kernel that reads or
// writes past a tensor's end is reported, instead of landing in cudaMalloc-style padding.
size_t allocation_bytes(size_t bytes) { return bytes == 0 ? 1 : bytes; }
#else
size_t allocation_bytes(size_t bytes) { return bytes == 0 ? kAlignment : (bytes + kAlignment - 1) / kAlignment * kAlignment; }
#endif
}  // namespace

// Every allocation is registered, so that each pointer a kernel is given can be checked to be
// sim device memory (kernels/sim/cuda_sim.cc).
void* SimBackend::allocate(size_t bytes) {
  void* p = nullptr;
  if (posix_memalign(&p, kAlignment, allocation_bytes(bytes)) != 0 || !p) {
    throw Error(code::kOutOfMemory, "cuda-sim: could not allocate " + std::to_string(bytes) + " bytes");
  }
  register_device_allocation(p, bytes);
  return p;
}

void SimBackend::deallocate(void* ptr, size_t) {
  if (!ptr) return;
  unregister_device_allocation(ptr);
  std::free(ptr);
}

void SimBackend::fill_zero(void* dst, size_t bytes) {
  if (bytes) std::memset(dst, 0, bytes);
}
void SimBackend::upload(void* dst, const void* src, size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}
void SimBackend::download(void* dst, const void* src, size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}
void SimBackend::copy(void* dst, const void* src, size_t bytes) {
  if (bytes) std::memmove(dst, src, bytes);
}

#define CUOPTIM_KERNEL_OP(name, Op) \
  void SimBackend::name(const ElementwiseArgs<Op>& args) { sim::fused_##name(args, nullptr); }
CUOPTIM_ELEMENTWISE_OPS(CUOPTIM_KERNEL_OP)
#undef CUOPTIM_KERNEL_OP
#define CUOPTIM_KERNEL_OP(name, Rule) \
  void SimBackend::name(const BlockwiseArgs<Rule>& args) { sim::fused_##name(args, nullptr); }
CUOPTIM_BLOCKWISE_OPS(CUOPTIM_KERNEL_OP)
#undef CUOPTIM_KERNEL_OP

void SimBackend::quantize_blockwise(const QuantizeArgs& args) { sim::quantize_blockwise(args, nullptr); }
void SimBackend::dequantize_blockwise(const QuantizeArgs& args) { sim::dequantize_blockwise(args, nullptr); }

void SimBackend::grad_norm_partials(const NormArgs& args, std::vector<double>* partials) {
  device_norm_partials(*this, args, partials, [&](const NormArgs& a) { sim::grad_norm_partials(a, nullptr); });
}

void SimBackend::transform(const TransformArgs& args) { sim::transform_tensors(args, nullptr); }
void SimBackend::fold_ranks(const FoldArgs& args) { sim::fold_ranks(args, nullptr); }

void SimBackend::gemm(const math::GemmArgs& g) { sim::gemm(g, nullptr); }
void SimBackend::gemm_batched(const math::GemmBatch& b) { sim::gemm_batched(b, nullptr); }
void SimBackend::add_diagonal(float* base, int64_t n, int64_t ld, float value) { sim::add_diagonal(base, n, ld, value, nullptr); }

void SimBackend::capturable_adam_advance(const CapturableRecord& r) { sim::capturable_adam_advance(r, nullptr); }

// Each tensor's workspace comes with it (adafactor_op.cc allocates them before the step).
void SimBackend::adafactor(const AdafactorArgs& args) {
  sim::adafactor(args, nullptr);
}

void SimBackend::kernel_selftest(const char* name, const float* in, float* out, int* scratch, int n, int block, int flag) {
  sim::kernel_selftest(name, in, out, scratch, n, block, flag, nullptr);
}

}  // namespace sim
}  // namespace cuoptim
