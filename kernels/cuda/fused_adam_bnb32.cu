// kernels/cuda/fused_adam_bnb32.cu — fused multi-tensor bitsandbytes-style 32-bit Adam
// (kernels/math/adam8bit.cuh, AdamBnb32Op): the path 8-bit Adam takes for tensors too small to
// quantize.
#include "elementwise.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

void fused_adam_bnb32(const ElementwiseArgs<math::AdamBnb32Op>& args, StreamHandle stream) {
  fused_elementwise(args, "fused_adam_bnb32", stream);
}

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
