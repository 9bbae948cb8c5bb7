// kernels/cuda/fused_adamw.cu — fused multi-tensor Adam / AdamW: every tensor of a step in one
// launch (or a few), each element read and written once (28 bytes per param; 36 with AMSGrad).
//
// The per-element math is kernels/math/adamw.cuh, shared with the cpu backend; compiled with
// --fmad=false so the results are the cpu's, bit for bit. Bias corrections come per tensor
// in the launch metadata, computed on the host in double (op_args.h, adam_list).
#include "../math/adamw.cuh"
#include "multi_tensor_apply.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

namespace adam_detail {

using namespace adam_list;

template <int kDepth>
struct AdamFunctor {
  template <typename Meta>
  static __device__ __forceinline__ void apply(const Chunk<kDepth>& c, const Meta& meta, math::AdamHyper h, unsigned flags) {
    const math::AdamStepScalars s = {meta.scalars[c.tensor][kNegStepSize], meta.scalars[c.tensor][kBiasCorrection2Sqrt]};
    float* p = static_cast<float*>(c.ptr[kParam]);
    const float* g = static_cast<const float*>(c.ptr[kGrad]);
    float* m = static_cast<float*>(c.ptr[kExpAvg]);
    float* v = static_cast<float*>(c.ptr[kExpAvgSq]);
    float* vmax = kDepth > kMaxExpAvgSq ? static_cast<float*>(c.ptr[kDepth > kMaxExpAvgSq ? kMaxExpAvgSq : 0]) : nullptr;

    if (chunk_is_vectorisable(c)) {
      // float4 loads and stores: one per list per thread per iteration.
      for (int64_t i = threadIdx.x; i * kILP < c.count; i += blockDim.x) {
        float4 rp = reinterpret_cast<float4*>(p)[i];
        const float4 rg = reinterpret_cast<const float4*>(g)[i];
        float4 rm = reinterpret_cast<float4*>(m)[i];
        float4 rv = reinterpret_cast<float4*>(v)[i];
        float4 rx = vmax ? reinterpret_cast<float4*>(vmax)[i] : make_float4(0.f, 0.f, 0.f, 0.f);
        math::adam_update(flags, rp.x, rm.x, rv.x, rx.x, rg.x, h, s);
        math::adam_update(flags, rp.y, rm.y, rv.y, rx.y, rg.y, h, s);
        math::adam_update(flags, rp.z, rm.z, rv.z, rx.z, rg.z, h, s);
        math::adam_update(flags, rp.w, rm.w, rv.w, rx.w, rg.w, h, s);
        reinterpret_cast<float4*>(p)[i] = rp;
        reinterpret_cast<float4*>(m)[i] = rm;
        reinterpret_cast<float4*>(v)[i] = rv;
        if (vmax) reinterpret_cast<float4*>(vmax)[i] = rx;
      }
      return;
    }
    // Unaligned or ragged chunk: kILP elements per thread, strided by the block.
    for (int64_t base = 0; base < c.count; base += static_cast<int64_t>(blockDim.x) * kILP) {
      for (int k = 0; k < kILP; ++k) {
        const int64_t i = base + threadIdx.x + static_cast<int64_t>(k) * blockDim.x;
        if (i >= c.count) continue;
        float rp = p[i], rm = m[i], rv = v[i];
        float rx = vmax ? vmax[i] : 0.f;
        math::adam_update(flags, rp, rm, rv, rx, g[i], h, s);
        p[i] = rp;
        m[i] = rm;
        v[i] = rv;
        if (vmax) vmax[i] = rx;
      }
    }
  }
};

}  // namespace adam_detail

void fused_adam(const AdamArgs& args, StreamHandle stream) {
  using namespace adam_list;
  using adam_detail::AdamFunctor;
  if (args.flags & math::kAdamAmsgrad) {
    multi_tensor_apply<kDepthAmsgrad, 2, AdamFunctor<kDepthAmsgrad>>(args.lists, "fused_adam(amsgrad)", stream, args.hyper, args.flags);
  } else {
    multi_tensor_apply<kDepth, 2, AdamFunctor<kDepth>>(args.lists, "fused_adam", stream, args.hyper, args.flags);
  }
}

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
