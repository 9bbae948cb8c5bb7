// kernels/cuda/fused_adamax.cu — fused multi-tensor Adamax (kernels/math/adamax.cuh):
// every tensor in one launch (or a few), each element read and written once.
#include "elementwise.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

void fused_adamax(const ElementwiseArgs<math::AdamaxOp>& args, StreamHandle stream) { fused_elementwise(args, "fused_adamax", stream); }

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
