// kernels/cuda/fused_adabound.cu — fused multi-tensor AdaBound / AMSBound (kernels/math/adabound.cuh):
// every tensor in one launch (or a few), each element read and written once.
#include "elementwise.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

void fused_adabound(const ElementwiseArgs<math::AdaboundOp>& args, StreamHandle stream) { fused_elementwise(args, "fused_adabound", stream); }

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
