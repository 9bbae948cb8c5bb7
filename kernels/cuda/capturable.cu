// kernels/cuda/capturable.cu — a capturable Adam step's scalars, computed on the device.
//
// One thread per tensor advances its step count by one and writes its step scalars
// (math::adam_step_scalars, in double, rounded once) into the record, from which the element-wise
// kernel then reads them (TensorLists::scalar_table). The step so reads no value from the host
// and can be captured in a CUDA graph: the lr travels in the record's header, written in stream
// order before each step or replay.
#include "launch.cuh"
#include "../op_args.h"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

namespace capturable_detail {

constexpr int kThreads = 128;

__global__ void __launch_bounds__(kThreads) adam_advance_kernel(CapturableRecord r) {
  const int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t < r.count) advance_capturable_adam(r, t);
}

}  // namespace capturable_detail

void capturable_adam_advance(const CapturableRecord& r, StreamHandle stream) {
  if (r.count == 0) return;
  const int blocks = static_cast<int>((r.count + capturable_detail::kThreads - 1) / capturable_detail::kThreads);
  launch(capturable_detail::adam_advance_kernel, "capturable_adam_advance", dim3(blocks), dim3(capturable_detail::kThreads), 0, stream, r);
}

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
