// kernels/cuda/grad_norm.cu — the gradient norm as one reduction over every grad of a step, and
// the element-wise transforms clipping applies (scale by a factor, clamp to a value).
//
// Norm: each block takes one 65536-element chunk (multi_tensor_apply) and writes one partial —
// the sum of squares in double (each square is exact there), or the NaN-propagating max of |g| —
// by a fixed tree: thread t takes elements t, t+256, ... in order; then block_sum / block_max.
// The host (src-native/norm_ops.cc) combines the partials of each tensor in order, then the
// tensors in order, so every backend gets the same bits. A non-finite gradient makes the result
// non-finite (squares of finite floats cannot overflow a double), which is how the step guard
// finds it.
#include "block_reduce.cuh"
#include "multi_tensor_apply.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

namespace norm_detail {

constexpr int kThreads = 256;

// Lists: grads (float32, or 16-bit by the tensor's format), partials (double, one per chunk of that tensor).
struct NormFunctor {
  static constexpr int kThreads = norm_detail::kThreads;
  template <typename Meta>
  static __device__ void apply(const Chunk<2>& c, const Meta&, int inf_norm) {
    CUOPTIM_SHARED(double, warp_slots, [kThreads / 32]);
    const math::TensorFormat f{c.format};  // 16-bit grads: widened as they are read
    double acc = 0.0;
    for (int64_t i = threadIdx.x; i < c.count; i += kThreads) {
      const double x = math::load_as_f32(c.base[0], f.param(), c.start + i);
      acc = inf_norm ? math::nan_max_d(acc, x < 0 ? -x : x) : acc + x * x;
    }
    const double r = inf_norm ? block_max(acc, warp_slots) : block_sum(acc, warp_slots);
    if (threadIdx.x == 0) static_cast<double*>(c.base[1])[c.start / kChunkSize] = r;
  }
};

// List: the tensors to change in place.
struct TransformFunctor {
  template <typename Meta>
  static __device__ void apply(const Chunk<1>& c, const Meta&, int kind, float value) {
    float* x = c.template at<float>(0);
    for (int64_t i = threadIdx.x; i < c.count; i += blockDim.x) x[i] = math::transform_element(x[i], kind, value);
  }
};

}  // namespace norm_detail

void grad_norm_partials(const NormArgs& a, StreamHandle stream) {
  multi_tensor_apply<2, 0, norm_detail::NormFunctor>(a.lists, "grad_norm", stream, a.inf_norm ? 1 : 0);
}

void transform_tensors(const TransformArgs& a, StreamHandle stream) {
  multi_tensor_apply<1, 0, norm_detail::TransformFunctor>(a.lists, "transform", stream, a.kind, a.value);
}

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
