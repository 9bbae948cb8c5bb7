// kernels/cuda/fused_radam.cu — fused multi-tensor RAdam (kernels/math/radam.cuh):
// every tensor in one launch (or a few), each element read and written once.
#include "elementwise.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

void fused_radam(const ElementwiseArgs<math::RadamOp>& args, StreamHandle stream) { fused_elementwise(args, "fused_radam", stream); }

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
