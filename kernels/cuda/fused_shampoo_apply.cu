// kernels/cuda/fused_shampoo_apply.cu — fused multi-tensor Shampoo apply pass (momentum and update) (kernels/math/shampoo.cuh):
// every tensor in one launch (or a few), each element read and written once.
#include "elementwise.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

void fused_shampoo_apply(const ElementwiseArgs<math::ShampooApplyOp>& args, StreamHandle stream) { fused_elementwise(args, "fused_shampoo_apply", stream); }

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
