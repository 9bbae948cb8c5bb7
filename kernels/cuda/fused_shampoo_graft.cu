// kernels/cuda/fused_shampoo_graft.cu — fused multi-tensor Shampoo grafting pass (Adam's direction) (kernels/math/shampoo.cuh):
// every tensor in one launch (or a few), each element read and written once.
#include "elementwise.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

void fused_shampoo_graft(const ElementwiseArgs<math::ShampooGraftOp>& args, StreamHandle stream) { fused_elementwise(args, "fused_shampoo_graft", stream); }

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
