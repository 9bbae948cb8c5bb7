// kernels/cuda/fused_ema.cu — the EMA-of-weights update over every tensor in one launch
// (kernels/math/ema.cuh): 12 bytes of traffic per param.
#include "elementwise.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

void fused_ema(const ElementwiseArgs<math::EmaOp>& args, StreamHandle stream) { fused_elementwise(args, "fused_ema", stream); }

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
