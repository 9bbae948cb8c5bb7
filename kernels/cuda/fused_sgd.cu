// kernels/cuda/fused_sgd.cu — fused multi-tensor SGD (kernels/math/sgd.cuh): momentum, dampening,
// Nesterov, weight decay, maximize; 12 bytes of traffic per param, 20 with momentum.
// One launch (or a few) per step; the per-element math is the cpu backend's.
#include "elementwise.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

void fused_sgd(const ElementwiseArgs<math::SgdOp>& args, StreamHandle stream) {
  fused_elementwise(args, "fused_sgd", stream);
}

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
