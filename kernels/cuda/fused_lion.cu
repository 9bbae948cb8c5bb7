// kernels/cuda/fused_lion.cu — fused multi-tensor Lion (kernels/math/lion.cuh): one state,
// 20 bytes of traffic per param.
// One launch (or a few) per step; the per-element math is the cpu backend's.
#include "elementwise.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

void fused_lion(const ElementwiseArgs<math::LionOp>& args, StreamHandle stream) {
  fused_elementwise(args, "fused_lion", stream);
}

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
