// kernels/cuda/quantize_blockwise.cu — blockwise 8-bit quantization of any tensor (bitsandbytes'
// quantize_blockwise / dequantize_blockwise): per block of `block` elements, absmax = max |x|
// and code = the nearest entry of the map to x / absmax; dequantized x = map[code] * absmax.
#include "blockwise.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

namespace quantize_detail {

// Lists: values (f32), codes (u8), absmax (f32 per block).
struct QuantizeFunctor {
  static constexpr int kThreads = kQuantThreads;
  template <typename Meta>
  static __device__ void apply(const Chunk<3>& c, const Meta&, const float* map, int is_signed, int block) {
    CUOPTIM_SHARED(float, code, [math::kCodeCount]);
    CUOPTIM_SHARED(float, slots, [kQuantThreads / 32]);
    code[threadIdx.x] = map[threadIdx.x];
    __syncthreads();
    const float* x = c.template at<const float>(0);
    uint8_t* codes = c.template at<uint8_t>(1);
    float* absmax = static_cast<float*>(c.base[2]) + c.start / block;
    const PassLayout layout(block);
    for (int64_t base = 0; base < c.count; base += layout.pass) {
      const int64_t first = base + (block < kQuantThreads ? threadIdx.x / block * block : 0);
      float local = 0.f;
      for (int j = 0; j < layout.per_thread; ++j) {
        const int64_t i = base + threadIdx.x + static_cast<int64_t>(j) * kQuantThreads;
        if (i < c.count) local = fmaxf(local, fabsf(x[i]));
      }
      const float m = group_max(local, layout.group, slots);
      if (first < c.count && threadIdx.x % layout.group == 0) absmax[first / block] = m;
      for (int j = 0; j < layout.per_thread; ++j) {
        const int64_t i = base + threadIdx.x + static_cast<int64_t>(j) * kQuantThreads;
        if (i >= c.count) continue;
        const float v = m > 0.f ? x[i] / m : 0.f;
        codes[i] = static_cast<uint8_t>(math::nearest_code(code, v, is_signed != 0));
      }
    }
  }
};

// Lists: codes (u8), absmax (f32 per block), values (f32).
struct DequantizeFunctor {
  static constexpr int kThreads = kQuantThreads;
  template <typename Meta>
  static __device__ void apply(const Chunk<3>& c, const Meta&, const float* map, int block) {
    CUOPTIM_SHARED(float, code, [math::kCodeCount]);
    code[threadIdx.x] = map[threadIdx.x];
    __syncthreads();
    const uint8_t* codes = c.template at<const uint8_t>(0);
    const float* absmax = static_cast<const float*>(c.base[1]) + c.start / block;
    float* out = c.template at<float>(2);
    for (int64_t i = threadIdx.x; i < c.count; i += kQuantThreads) out[i] = math::dequantize(code, codes[i], absmax[i / block]);
  }
};

}  // namespace quantize_detail

void quantize_blockwise(const QuantizeArgs& a, StreamHandle stream) {
  multi_tensor_apply<3, 0, quantize_detail::QuantizeFunctor>(a.lists, "quantize_blockwise", stream, a.map, a.is_signed ? 1 : 0,
                                                             a.block_size);
}

void dequantize_blockwise(const QuantizeArgs& a, StreamHandle stream) {
  multi_tensor_apply<3, 0, quantize_detail::DequantizeFunctor>(a.lists, "dequantize_blockwise", stream, a.map, a.block_size);
}

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
