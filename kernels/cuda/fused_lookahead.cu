// kernels/cuda/fused_lookahead.cu — fused multi-tensor Lookahead's slow/fast synchronisation (kernels/math/lookahead.cuh):
// every tensor in one launch (or a few), each element read and written once.
#include "elementwise.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

void fused_lookahead(const ElementwiseArgs<math::LookaheadOp>& args, StreamHandle stream) { fused_elementwise(args, "fused_lookahead", stream); }

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
