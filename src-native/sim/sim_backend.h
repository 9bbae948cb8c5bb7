// src-native/sim/sim_backend.h — the cuda-sim backend: device memory is host memory that only
// the simulated kernels and explicit copies touch; every op runs the CUDA kernels through the
// simulator (kernels/sim). For correctness, not speed.
#pragma once

#include "../backend.h"

namespace cuoptim {
namespace sim {

// One instance per simulated device (kSimDevices); they share the simulator and differ in their
// memory and counters, so a tensor of one cannot meet an op on another.
class SimBackend final : public Backend {
 public:
  explicit SimBackend(int ordinal) : ordinal_(ordinal) {}
  DeviceKind kind() const override { return DeviceKind::CudaSim; }
  std::string name() const override { return ordinal_ == 0 ? "cuda-sim" : "cuda-sim:" + std::to_string(ordinal_); }
  bool available(std::string*) const override { return true; }
  bool host_accessible() const override { return false; }

  void* allocate(size_t bytes) override;
  void deallocate(void* ptr, size_t bytes) override;
  void fill_zero(void* dst, size_t bytes) override;
  void upload(void* dst, const void* host_src, size_t bytes) override;
  void download(void* host_dst, const void* src, size_t bytes) override;
  void copy(void* dst, const void* src, size_t bytes) override;

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
  void grad_norm_partials(const NormArgs& args, std::vector<double>* partials) override;
  void transform(const TransformArgs& args) override;
  void fold_ranks(const FoldArgs& args) override;
  void kernel_selftest(const char* name, const float* in, float* out, int* scratch, int n, int block, int flag) override;

 private:
  int ordinal_;
};

}  // namespace sim
}  // namespace cuoptim
