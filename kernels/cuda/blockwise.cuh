// kernels/cuda/blockwise.cuh — the functor behind every blockwise 8-bit optimizer kernel, and
// blockwise quantization of a whole tensor.
//
// 256 threads per block; each CUDA block walks its 65536-element chunk in passes of
// max(quant block, 256) elements. A pass: dequantize each element's states against its quant
// block's old absmax, apply the Rule (param and states), reduce max |state| per quant block
// (block_reduce.cuh), write the new absmax, requantize. Quant blocks of 64 or 128 elements are
// several per pass (one per group of threads); blocks of 512..4096 give each thread several
// elements. Lists: param, grad, codes of each state, absmax of each state.
#pragma once

#include "../math/blockwise.cuh"
#include "block_reduce.cuh"
#include "multi_tensor_apply.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

inline constexpr int kQuantThreads = 256;
inline constexpr int kMaxPerThread = math::kMaxQuantBlock / kQuantThreads;

// Where thread `tid` works in a pass over quant blocks of `block` elements.
struct PassLayout {
  int pass;        // elements per pass
  int per_thread;  // elements each thread handles per pass
  int group;       // threads sharing one quant block
  __device__ __forceinline__ explicit PassLayout(int block)
      : pass(block > kQuantThreads ? block : kQuantThreads),
        per_thread(block > kQuantThreads ? block / kQuantThreads : 1),
        group(block < kQuantThreads ? block : kQuantThreads) {}
};

template <typename Rule>
struct BlockwiseFunctor {
  static constexpr int kThreads = kQuantThreads;
  // Up to 16 elements x 3 states per thread in registers: 2 blocks per SM (<= 128 registers)
  // keeps them there without spills (scripts/resource-check.mjs).
  static constexpr int kMinBlocksPerSm = 2;
  static constexpr int kStates = Rule::kStates;
  static constexpr int kDepth = 2 + 2 * kStates + 1;  // + the shadow list
  static constexpr int kScalars = Rule::kTensorScalars;

  template <typename Meta>
  static __device__ void apply(const Chunk<kDepth>& c, const Meta& meta, typename Rule::Hyper h, const float* code0,
                               const float* code1, const float* code2, int block) {
    CUOPTIM_SHARED(float, code, [kStates][math::kCodeCount]);
    CUOPTIM_SHARED(float, slots, [kStates][kQuantThreads / 32]);
    const float* maps[3] = {code0, code1, code2};
    CUOPTIM_UNROLL
    for (int k = 0; k < kStates; ++k) code[k][threadIdx.x] = maps[k][threadIdx.x];
    __syncthreads();
    // Elements per thread per pass as a template argument, so each thread's states live in
    // registers (a run-time bound would index them at run time, from a stack frame).
    switch (PassLayout(block).per_thread) {
      case 1: passes<1>(c, meta, h, code, slots, block); break;
      case 2: passes<2>(c, meta, h, code, slots, block); break;
      case 4: passes<4>(c, meta, h, code, slots, block); break;
      case 8: passes<8>(c, meta, h, code, slots, block); break;
      default: passes<kMaxPerThread>(c, meta, h, code, slots, block); break;
    }
  }

  // code: [kStates][kCodeCount] and slots: [kStates][kQuantThreads / 32] in shared memory.
  template <int kPerThread, typename Meta, typename Code, typename Slots>
  static __device__ __forceinline__ void passes(const Chunk<kDepth>& c, const Meta& meta, const typename Rule::Hyper& h, Code code,
                                                Slots slots, int block) {
    const float* ts = meta.scalars[c.tensor];
    const math::TensorFormat f{c.format};  // 16-bit params / grads: widened on load, rounded on store
    uint8_t* codes[kStates];
    float* absmax[kStates];
    CUOPTIM_UNROLL
    for (int k = 0; k < kStates; ++k) {
      codes[k] = c.template at<uint8_t>(2 + k);
      absmax[k] = static_cast<float*>(c.base[2 + kStates + k]) + c.start / block;
    }
    const PassLayout layout(block);
    for (int64_t base = 0; base < c.count; base += layout.pass) {
      // This thread's quant block (index within the chunk) and whether it holds any element.
      const int64_t first = base + (block < kQuantThreads ? threadIdx.x / block * block : 0);
      const int64_t qb = first / block;
      const bool in_range = first < c.count;
      float old_absmax[kStates];
      CUOPTIM_UNROLL
      for (int k = 0; k < kStates; ++k) old_absmax[k] = in_range ? absmax[k][qb] : 0.f;

      float s[kPerThread][kStates];
      float local[kStates];
      CUOPTIM_UNROLL
      for (int k = 0; k < kStates; ++k) local[k] = 0.f;
      CUOPTIM_UNROLL
      for (int j = 0; j < kPerThread; ++j) {
        const int64_t i = base + threadIdx.x + static_cast<int64_t>(j) * kQuantThreads;
        if (i >= c.count) continue;
        CUOPTIM_UNROLL
        for (int k = 0; k < kStates; ++k) s[j][k] = math::dequantize(code[k], codes[k][i], old_absmax[k]);
        const int64_t e = c.start + i;
        float pi = math::load_as_f32(c.base[0], f.param(), e);
        Rule::update(math::load_as_f32(c.base[1], f.grad(), e), pi, s[j], h, ts);
        math::store_from_f32(c.base[0], f.param(), e, pi, f.stochastic(), f.stochastic() ? math::random_bits(c.key, e) : 0u);
        if (f.shadow()) math::store_from_f32(c.base[kDepth - 1], f.shadow(), e, pi, false, 0u);
        CUOPTIM_UNROLL
        for (int k = 0; k < kStates; ++k) local[k] = fmaxf(local[k], fabsf(s[j][k]));
      }
      float new_absmax[kStates];
      CUOPTIM_UNROLL
      for (int k = 0; k < kStates; ++k) new_absmax[k] = group_max(local[k], layout.group, slots[k]);
      // Every thread read the old absmax before group_max's barrier; the group's first thread
      // now stores the new one.
      if (in_range && threadIdx.x % layout.group == 0) {
        CUOPTIM_UNROLL
        for (int k = 0; k < kStates; ++k) absmax[k][qb] = new_absmax[k];
      }
      CUOPTIM_UNROLL
      for (int j = 0; j < kPerThread; ++j) {
        const int64_t i = base + threadIdx.x + static_cast<int64_t>(j) * kQuantThreads;
        if (i >= c.count) continue;
        CUOPTIM_UNROLL
        for (int k = 0; k < kStates; ++k) {
          codes[k][i] = Rule::is_signed(k) ? math::quantize_signed(code[k], s[j][k], new_absmax[k])
                                         : math::quantize_unsigned(code[k], s[j][k], new_absmax[k]);
        }
      }
    }
  }
};

// One step of Rule over every tensor: lists = param, grad, codes..., absmax...; maps per state.
template <typename Rule>
void fused_blockwise(const BlockwiseArgs<Rule>& args, const char* name, StreamHandle stream) {
  using F = BlockwiseFunctor<Rule>;
  multi_tensor_apply<F::kDepth, F::kScalars, F>(args.lists, name, stream, args.hyper, args.maps[0],
                                                 F::kStates > 1 ? args.maps[1] : args.maps[0], F::kStates > 2 ? args.maps[2] : args.maps[0],
                                                 args.block_size);
}

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
