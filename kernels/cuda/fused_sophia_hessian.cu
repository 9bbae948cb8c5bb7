// kernels/cuda/fused_sophia_hessian.cu — fused multi-tensor SophiaG Hessian moving average (kernels/math/sophia.cuh):
// every tensor in one launch (or a few), each element read and written once.
#include "elementwise.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

void fused_sophia_hessian(const ElementwiseArgs<math::SophiaHessianOp>& args, StreamHandle stream) { fused_elementwise(args, "fused_sophia_hessian", stream); }

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
