// kernels/cuda/fused_adamw.cu — fused multi-tensor Adam / AdamW: every tensor of a step in one
// launch (or a few), each element read and written once (28 bytes per param; 36 with AMSGrad).
// The per-element math is kernels/math/adamw.cuh, shared with the cpu backend and compiled with
// --fmad=false, so the results are the cpu's bit for bit.
#include "elementwise.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

void fused_adam(const ElementwiseArgs<math::AdamOp>& args, StreamHandle stream) {
  fused_elementwise(args, "fused_adam", stream);
}

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
