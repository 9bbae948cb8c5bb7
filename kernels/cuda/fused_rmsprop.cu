// kernels/cuda/fused_rmsprop.cu — fused multi-tensor RMSprop (kernels/math/rmsprop.cuh): plain,
// centered or with momentum, each state read and written once.
// One launch (or a few) per step; the per-element math is the cpu backend's.
#include "elementwise.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

void fused_rmsprop(const ElementwiseArgs<math::RmspropOp>& args, StreamHandle stream) {
  fused_elementwise(args, "fused_rmsprop", stream);
}

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
