// src-native/cuda/cuda_backend.h — the cuda backend: one instance per device, each with its own
// stream and caching allocator. "cuda" is the default device (CUOPTIM_CUDA_DEVICE, default 0);
// "cuda:N" is device N.
//
// Ops enqueue kernels on the stream and return; download() and synchronize() wait. The CUDA
// runtime is linked statically, so without a driver or a GPU this backend merely reports itself
// unavailable, with the reason.
#pragma once

#include <mutex>

#include "../backend.h"
#include "caching_allocator.h"

namespace cuoptim {
namespace cuda {

// Never destroyed (backends_for() keeps it for the process): tearing it down at exit could run
// after the CUDA runtime's own teardown, and the driver reclaims device memory anyway.
class CudaBackend final : public Backend {
 public:
  // `requested`: a device index, or -1 for the default device (CUOPTIM_CUDA_DEVICE, else 0).
  explicit CudaBackend(int requested) : requested_(requested) {}
  DeviceKind kind() const override { return DeviceKind::Cuda; }
  std::string name() const override { return requested_ < 0 ? "cuda" : "cuda:" + std::to_string(requested_); }
  // CUDA devices present (0 when the runtime cannot start).
  static int count();
  bool available(std::string* reason) const override;
  bool host_accessible() const override { return false; }

  void* allocate(size_t bytes) override;
  void deallocate(void* ptr, size_t bytes) override;
  void* allocate_paged(size_t bytes, bool* paged) override;
  void deallocate_paged(void* ptr, size_t bytes) override;
  void prefetch(const std::vector<std::pair<void*, size_t>>& buffers) override;
  void fill_zero(void* dst, size_t bytes) override;
  void upload(void* dst, const void* host_src, size_t bytes) override;
  void download(void* host_dst, const void* src, size_t bytes) override;
  void copy(void* dst, const void* src, size_t bytes) override;
  void synchronize() override;

#define CUOPTIM_KERNEL_OP(name, Op) void name(const ElementwiseArgs<Op>& args) override;
  CUOPTIM_ELEMENTWISE_OPS(CUOPTIM_KERNEL_OP)
#undef CUOPTIM_KERNEL_OP
#define CUOPTIM_KERNEL_OP(name, Rule) void name(const BlockwiseArgs<Rule>& args) override;
  CUOPTIM_BLOCKWISE_OPS(CUOPTIM_KERNEL_OP)
#undef CUOPTIM_KERNEL_OP
  void quantize_blockwise(const QuantizeArgs& args) override;
  void dequantize_blockwise(const QuantizeArgs& args) override;
  void adafactor(const AdafactorArgs& args) override;
  void gemm(const math::GemmArgs& g) override;
  void gemm_batched(const math::GemmBatch& b) override;
  void add_diagonal(float* base, int64_t n, int64_t ld, float value) override;
  void capturable_adam_advance(const CapturableRecord& r) override;
  void begin_capture() override;
  void* end_capture() override;
  void replay(void* graph) override;
  void destroy_graph(void* graph) override;
  void grad_norm_partials(const NormArgs& args, std::vector<double>* partials) override;
  void transform(const TransformArgs& args) override;
  void fold_ranks(const FoldArgs& args) override;
  void kernel_selftest(const char* name, const float* in, float* out, int* scratch, int n, int block, int flag) override;

  // "cuda:0 NVIDIA H100 80GB HBM3 (sm_90)" or the reason it is unavailable.
  std::string describe() const;
  // The stream every op of this backend is enqueued on, and its device (for NCCL).
  void* stream_handle() const { return stream(); }
  int device() const { return device_; }

 private:
  void init() const;
  void* stream() const;

  int requested_;
  mutable std::once_flag once_;
  mutable bool ok_ = false;
  mutable std::string reason_;
  mutable std::string device_name_;
  mutable void* stream_ = nullptr;
  mutable int device_ = 0;
  CachingAllocator allocator_;
};

}  // namespace cuda
}  // namespace cuoptim
