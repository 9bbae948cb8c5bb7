// kernels/cuda/elementwise.cuh — the one functor behind every element-wise optimizer kernel.
//
// For an Op of kernels/math/elementwise.cuh: each block takes one chunk (multi_tensor_apply),
// loads the param, the grad and the Op's states, calls Op::update per element and stores what it
// changed. Chunks whose pointers are all 16-byte aligned move float4s; the others go element by
// element, kILP per thread, strided by the block. Unused state lists are null and skipped. Each
// element is read and written once: memory traffic is the floor. A tensor with 16-bit storage
// (its math::TensorFormat, kernels/math/half.cuh) goes element by element through the same
// update: each list widened on load, rounded once on store (stochastically for the param when
// asked, from the element's index within its tensor), and a master's shadow written from it.
//
// The launchers fused_<name> are not written by hand: CUOPTIM_DEFINE_ELEMENTWISE_LAUNCHER defines
// one from its line of CUOPTIM_ELEMENTWISE_OPS. CMakeLists.txt writes one .cu per line for nvcc
// (so the ops compile in parallel); src-native/sim/kernels_sim.cc expands the whole list.
#pragma once

#include "multi_tensor_apply.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

template <typename Op>
struct ElementwiseFunctor {
  static constexpr int kDepth = kElementwiseDepth<Op>;
  static constexpr int kScalars = Op::kTensorScalars;

  template <typename Meta>
  static __device__ __forceinline__ void apply(const Chunk<kDepth>& c, const Meta& meta, typename Op::Hyper h, unsigned flags) {
    const float* ts = tensor_scalars<kScalars>(meta, c.tensor);
    float* p = c.template at<float>(kParamList);
    const float* g = Op::kReadsGrad ? c.template at<const float>(kGradList) : nullptr;
    float* st[Op::kStates > 0 ? Op::kStates : 1];
    for (int k = 0; k < Op::kStates; ++k) st[k] = c.template at<float>(kFirstStateList + k);

    if (c.format != 0) {
      apply_stored(c, h, flags, ts);
      return;
    }
    if (chunk_is_vectorisable(c)) {
      for (int64_t i = threadIdx.x; i * kILP < c.count; i += blockDim.x) {
        float4 rp = reinterpret_cast<float4*>(p)[i];
        const float4 rg = g ? reinterpret_cast<const float4*>(g)[i] : make_float4(0.f, 0.f, 0.f, 0.f);
        float4 rs[Op::kStates > 0 ? Op::kStates : 1];
        for (int k = 0; k < Op::kStates; ++k) rs[k] = st[k] ? reinterpret_cast<float4*>(st[k])[i] : make_float4(0.f, 0.f, 0.f, 0.f);
        update_lane(flags, rp.x, rg.x, rs, 0, h, ts);
        update_lane(flags, rp.y, rg.y, rs, 1, h, ts);
        update_lane(flags, rp.z, rg.z, rs, 2, h, ts);
        update_lane(flags, rp.w, rg.w, rs, 3, h, ts);
        reinterpret_cast<float4*>(p)[i] = rp;
        for (int k = 0; k < Op::kStates; ++k) {
          if (st[k]) reinterpret_cast<float4*>(st[k])[i] = rs[k];
        }
      }
      return;
    }
    for (int64_t base = 0; base < c.count; base += static_cast<int64_t>(blockDim.x) * kILP) {
      for (int j = 0; j < kILP; ++j) {
        const int64_t i = base + threadIdx.x + static_cast<int64_t>(j) * blockDim.x;
        if (i >= c.count) continue;
        float rp = p[i];
        float s[Op::kStates > 0 ? Op::kStates : 1];
        for (int k = 0; k < Op::kStates; ++k) s[k] = st[k] ? st[k][i] : 0.f;
        Op::update(flags, rp, g ? g[i] : 0.f, s, h, ts);
        p[i] = rp;
        for (int k = 0; k < Op::kStates; ++k) {
          if (st[k]) st[k][i] = s[k];
        }
      }
    }
  }

 private:
  // A chunk with 16-bit storage: per element, widen, update in f32, round once.
  static __device__ __forceinline__ void apply_stored(const Chunk<kDepth>& c, const typename Op::Hyper& h, unsigned flags, const float* ts) {
    const math::TensorFormat f{c.format};
    void* p = c.base[kParamList];
    const void* g = Op::kReadsGrad ? c.base[kGradList] : nullptr;
    void* shadow = c.base[kShadowList<Op>];
    for (int64_t i = threadIdx.x; i < c.count; i += blockDim.x) {
      const int64_t e = c.start + i;  // the element's index within its tensor
      float rp = math::load_as_f32(p, f.param(), e);
      float s[Op::kStates > 0 ? Op::kStates : 1];
      for (int k = 0; k < Op::kStates; ++k) {
        const void* sk = c.base[kFirstStateList + k];
        s[k] = sk ? math::load_as_f32(sk, f.state(), e) : 0.f;
      }
      Op::update(flags, rp, g ? math::load_as_f32(g, f.grad(), e) : 0.f, s, h, ts);
      const bool sr = f.stochastic();
      math::store_from_f32(p, f.param(), e, rp, sr, sr ? math::random_bits(c.key, e) : 0u);
      for (int k = 0; k < Op::kStates; ++k) {
        void* sk = c.base[kFirstStateList + k];
        if (sk) math::store_from_f32(sk, f.state(), e, s[k], false, 0u);
      }
      if (f.shadow()) math::store_from_f32(shadow, f.shadow(), e, rp, false, 0u);
    }
  }

  static __device__ __forceinline__ float& component(float4& v, int lane) {
    return lane == 0 ? v.x : lane == 1 ? v.y : lane == 2 ? v.z : v.w;
  }

  // Op::update on component `lane` of the loaded float4s.
  static __device__ __forceinline__ void update_lane(unsigned flags, float& p, float g, float4* rs, int lane,
                                                     const typename Op::Hyper& h, const float* ts) {
    float s[Op::kStates > 0 ? Op::kStates : 1];
    for (int k = 0; k < Op::kStates; ++k) s[k] = component(rs[k], lane);
    Op::update(flags, p, g, s, h, ts);
    for (int k = 0; k < Op::kStates; ++k) component(rs[k], lane) = s[k];
  }
};

// One step of Op over every tensor of `args`, in as few launches as the metadata allows.
template <typename Op>
void fused_elementwise(const ElementwiseArgs<Op>& args, const char* name, StreamHandle stream) {
  using F = ElementwiseFunctor<Op>;
  multi_tensor_apply<F::kDepth, F::kScalars, F>(args.lists, name, stream, args.hyper, args.flags);
}

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim

#define CUOPTIM_DEFINE_ELEMENTWISE_LAUNCHER(name, Op)                                              \
  namespace cuoptim {                                                                              \
  namespace CUOPTIM_KERNEL_NS {                                                                    \
  void fused_##name(const ElementwiseArgs<Op>& args, StreamHandle stream) {                        \
    fused_elementwise(args, "fused_" #name, stream);                                               \
  }                                                                                                \
  }                                                                                                \
  }
