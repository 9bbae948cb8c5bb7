// kernels/cuda/adam8bit.cu — blockwise 8-bit Adam/AdamW, Lion and AdEMAMix with bitsandbytes'
// semantics (kernels/math/adam8bit.cuh, blockwise.cuh): one fused pass per quant block — dequantize, update in f32,
// reduce the block's new absmax, requantize — for every tensor of a step in one launch. About
// 10 bytes of traffic per param for Adam (p and g read and p written in f32, two 1-byte codes
// read and written), versus 28 for 32-bit AdamW.
#include "blockwise.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

void fused_adam8bit(const BlockwiseArgs<math::Adam8bitRule>& args, StreamHandle stream) {
  fused_blockwise(args, "fused_adam8bit", stream);
}

void fused_lion8bit(const BlockwiseArgs<math::Lion8bitRule>& args, StreamHandle stream) {
  fused_blockwise(args, "fused_lion8bit", stream);
}

void fused_ademamix8bit(const BlockwiseArgs<math::Ademamix8bitRule>& args, StreamHandle stream) {
  fused_blockwise(args, "fused_ademamix8bit", stream);
}

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
