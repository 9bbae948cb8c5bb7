// kernels/cuda/fused_nadam.cu — fused multi-tensor NAdam (kernels/math/nadam.cuh):
// every tensor in one launch (or a few), each element read and written once.
#include "elementwise.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

void fused_nadam(const ElementwiseArgs<math::NadamOp>& args, StreamHandle stream) { fused_elementwise(args, "fused_nadam", stream); }

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
