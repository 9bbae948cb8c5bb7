// kernels/cuda/launchers.h — the host entry points of kernels/cuda/*.cu, declared for both
// builds of them: cuoptim::cuda (nvcc, the cuda backend) and cuoptim::sim (the simulator).
#pragma once

#include "../op_args.h"

namespace cuoptim {

using StreamHandle = void*;

#define CUOPTIM_DECLARE_ELEMENTWISE_LAUNCHER(name, Op) void fused_##name(const ElementwiseArgs<Op>& args, StreamHandle stream);
#define CUOPTIM_DECLARE_BLOCKWISE_LAUNCHER(name, Rule) void fused_##name(const BlockwiseArgs<Rule>& args, StreamHandle stream);
#define CUOPTIM_DECLARE_LAUNCHERS                                                                   \
  CUOPTIM_ELEMENTWISE_OPS(CUOPTIM_DECLARE_ELEMENTWISE_LAUNCHER)                                    \
  CUOPTIM_BLOCKWISE_OPS(CUOPTIM_DECLARE_BLOCKWISE_LAUNCHER)                                        \
  void quantize_blockwise(const QuantizeArgs& args, StreamHandle stream);                          \
  void dequantize_blockwise(const QuantizeArgs& args, StreamHandle stream);                        \
  void grad_norm_partials(const NormArgs& args, StreamHandle stream);                              \
  void transform_tensors(const TransformArgs& args, StreamHandle stream);                          \
  void fold_ranks(const FoldArgs& args, StreamHandle stream);                                      \
  void adafactor(const AdafactorArgs& args, StreamHandle stream);                                  \
  void kernel_selftest(const char* name, const float* in, float* out, int* scratch, int n, int block, \
                       int flag, StreamHandle stream);                                              \
  void gemm(const math::GemmArgs& g, StreamHandle stream);                                           \
  void gemm_batched(const math::GemmBatch& batch, StreamHandle stream);                              \
  void add_diagonal(float* base, int64_t n, int64_t ld, float value, StreamHandle stream);            \
  void capturable_adam_advance(const CapturableRecord& r, StreamHandle stream);

namespace cuda {
CUOPTIM_DECLARE_LAUNCHERS
}
namespace sim {
CUOPTIM_DECLARE_LAUNCHERS
}

#undef CUOPTIM_DECLARE_LAUNCHERS
#undef CUOPTIM_DECLARE_ELEMENTWISE_LAUNCHER
#undef CUOPTIM_DECLARE_BLOCKWISE_LAUNCHER

}  // namespace cuoptim
