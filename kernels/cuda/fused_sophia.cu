// kernels/cuda/fused_sophia.cu — fused multi-tensor SophiaG step (kernels/math/sophia.cuh):
// every tensor in one launch (or a few), each element read and written once.
#include "elementwise.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

void fused_sophia(const ElementwiseArgs<math::SophiaOp>& args, StreamHandle stream) { fused_elementwise(args, "fused_sophia", stream); }

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
