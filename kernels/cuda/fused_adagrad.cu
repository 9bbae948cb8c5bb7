// kernels/cuda/fused_adagrad.cu — fused multi-tensor Adagrad (kernels/math/adagrad.cuh):
// every tensor in one launch (or a few), each element read and written once.
#include "elementwise.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

void fused_adagrad(const ElementwiseArgs<math::AdagradOp>& args, StreamHandle stream) { fused_elementwise(args, "fused_adagrad", stream); }

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
