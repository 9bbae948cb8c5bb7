// kernels/cuda/selftest.cu — small kernels that check the execution model itself: a shared-memory
// block reduction, warp-shuffle reductions, atomics across blocks, and a neighbour exchange whose
// answer is right only because of __syncthreads. Two more are right only in some orders, which
// the simulator's orders (kernels/sim/cuda_sim.cc) must expose: a reduction whose shared slots
// are reused without a barrier, and blocks that read what an earlier block wrote. A static shared
// copy without its barrier must read the simulator's poison. The rest are deliberately broken in
// ways the race detector, strict mode and the pointer registry must report. Run on cuda-sim in CI (and, the correct
// ones, on a GPU when there is one) by test/sim.selftest.test.ts, against plain CPU results.
#include "launch.cuh"

namespace cuoptim {
namespace CUOPTIM_KERNEL_NS {

namespace selftest_detail {

// out[b] = sum of in[b*blockDim .. (b+1)*blockDim), by a shared-memory tree with a barrier
// between levels. blockDim must be a power of two.
__global__ void block_sum_kernel(const float* in, float* out, int n) {
  const auto s = dynamic_smem<float>();
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  s[threadIdx.x] = i < n ? in[i] : 0.f;
  __syncthreads();
  for (unsigned stride = blockDim.x / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) s[threadIdx.x] += s[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = s[0];
}

// Per warp: out[2w] = butterfly sum (__shfl_xor_sync, every lane ends with the total, lane 0's
// is stored), out[2w+1] = tree sum (__shfl_down_sync, lane 0 holds it).
__global__ void warp_sum_kernel(const float* in, float* out, int n) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const float v = i < n ? in[i] : 0.f;
  float butterfly = v, tree = v;
  for (int offset = 16; offset > 0; offset >>= 1) {
    butterfly += __shfl_xor_sync(0xffffffffu, butterfly, offset);
    tree += __shfl_down_sync(0xffffffffu, tree, static_cast<unsigned>(offset));
  }
  const int warp = i / 32;
  if (threadIdx.x % 32 == 0) {
    out[2 * warp] = butterfly;
    out[2 * warp + 1] = tree;
  }
}

// result[0] = sum, result[1] = max of the (integer-valued) inputs, over every block.
__global__ void atomics_kernel(const float* in, int* result, int n) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (i >= n) return;
  const int v = static_cast<int>(in[i]);
  atomicAdd(&result[0], v);
  atomicMax(&result[1], v);
}

__global__ void int_to_float_kernel(const int* src, float* dst, int n) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (i < n) dst[i] = static_cast<float>(src[i]);
}

// out[t] = in[(t+1) % blockDim] within each block, through shared memory. With use_sync the
// barrier orders every write before every read; without it a thread may read its neighbour's
// slot before the neighbour wrote it.
__global__ void neighbour_kernel(const float* in, float* out, int n, int use_sync) {
  const auto s = dynamic_smem<float>();
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  s[threadIdx.x] = i < n ? in[i] : 0.f;
  if (use_sync) __syncthreads();
  const float next = s[(threadIdx.x + 1) % blockDim.x];
  if (i < n) out[i] = next;
}

// Max of v over the block: a warp butterfly, one slot per warp, every thread reading every slot.
// With use_sync a barrier follows the reads, so the slots may be reused; without it a warp that
// runs ahead into the next call overwrites a slot another warp has not read yet.
template <typename Slots>
__device__ float block_max_slots(float v, Slots slots, int use_sync) {
  for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  if (threadIdx.x % 32 == 0) slots[threadIdx.x / 32] = v;
  __syncthreads();
  float r = slots[0];
  for (unsigned w = 1; w < blockDim.x / 32; ++w) r = fmaxf(r, slots[w]);
  if (use_sync) __syncthreads();
  return r;
}

// Per warp w of the grid: out[2w] = max, out[2w+1] = -min of its block's inputs, as that warp
// got them from two reductions through the same slots.
__global__ void reduce_twice_kernel(const float* in, float* out, int n, int use_sync) {
  const auto slots = dynamic_smem<float>();
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const float v = i < n ? in[i] : in[blockIdx.x * blockDim.x];
  const float hi = block_max_slots(v, slots, use_sync);
  const float neg_lo = block_max_slots(-v, slots, use_sync);
  if (threadIdx.x % 32 == 0) {
    const unsigned w = (blockIdx.x * blockDim.x + threadIdx.x) / 32;
    out[2 * w] = hi;
    out[2 * w + 1] = neg_lo;
  }
}

// out[b] = out[b-1] + in[b]: a running sum that is right only if blocks run in order, which CUDA
// never promises (a race between blocks).
__global__ void block_chain_kernel(const float* in, float* out) {
  if (threadIdx.x != 0) return;
  const unsigned b = blockIdx.x;
  out[b] = (b > 0 ? out[b - 1] : 0.f) + in[b];
}

// out[i] = map[(t+1) % blockDim], where every block copies the same map (in[0 .. blockDim)) into
// a static shared array first: the shape of blockwise.cuh's code-map copy. Without use_sync a
// thread may read a slot its neighbour has not copied yet; the stale copy a previous block left
// would hide that, the simulator's poison does not.
__global__ void static_map_kernel(const float* in, float* out, int n, int use_sync) {
  CUOPTIM_SHARED(float, map, [1024]);
  map[threadIdx.x] = in[threadIdx.x < static_cast<unsigned>(n) ? threadIdx.x : 0];
  if (use_sync) __syncthreads();
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (i < n) out[i] = map[(threadIdx.x + 1) % blockDim.x];
}

// Shared-memory races the race detector (CUOPTIM_SIM_RACECHECK=1) must report without use_sync,
// and accept with it. Without use_sync some of them still compute the right values in every
// order (race_waw always, race_raw in thread order): only the detector sees those.

// Thread 0 stores its block's first input in s[0]; every thread then outputs s[0].
__global__ void race_raw_kernel(const float* in, float* out, int n, int use_sync) {
  const auto s = dynamic_smem<float>();
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (threadIdx.x == 0) s[0] = in[blockIdx.x * blockDim.x];
  if (use_sync) __syncthreads();
  if (i < n) out[i] = s[0];
}

// s[t] = x; then each thread reads its neighbour's slot and overwrites its own with twice that,
// the barrier between the reads and the overwrites being the one use_sync adds.
__global__ void race_war_kernel(const float* in, float* out, int n, int use_sync) {
  const auto s = dynamic_smem<float>();
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  s[threadIdx.x] = i < n ? in[i] : 0.f;
  __syncthreads();
  const float next = s[(threadIdx.x + 1) % blockDim.x];
  if (use_sync) __syncthreads();
  s[threadIdx.x] = 2.f * next;
  __syncthreads();
  if (i < n) out[i] = s[threadIdx.x];
}

// Every thread (only thread 0 with use_sync) stores the block's first input in s[0]: the same
// value from every thread, a write-write race all the same.
__global__ void race_waw_kernel(const float* in, float* out, int n, int use_sync) {
  const auto s = dynamic_smem<float>();
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (!use_sync || threadIdx.x == 0) s[0] = in[blockIdx.x * blockDim.x];
  __syncthreads();
  if (i < n) out[i] = s[0];
}

// Lanes swap values in pairs through shared memory, ordered by __syncwarp (use_sync) or not at
// all: a warp operation orders the lanes of its warp without a block barrier.
__global__ void race_warp_kernel(const float* in, float* out, int n, int use_sync) {
  const auto s = dynamic_smem<float>();
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  s[threadIdx.x] = i < n ? in[i] : 0.f;
  if (use_sync) __syncwarp();
  const float other = s[threadIdx.x ^ 1u];
  if (i < n) out[i] = other;
}

// The kernels below are wrong on purpose, in ways a GPU punishes and only the simulator's strict
// mode (CUOPTIM_SIM_STRICT=1) reports; run on cuda-sim only.

// Lane 31 of each warp exits, then the others shuffle with a full mask that still names it.
__global__ void exited_lane_kernel(const float* in, float* out, int n) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (threadIdx.x % 32 == 31) return;
  const float v = __shfl_down_sync(0xffffffffu, i < n ? in[i] : 0.f, 1);
  if (i < n) out[i] = v;
}

// Even lanes synchronise with the even-lane mask, odd lanes with the full mask.
__global__ void mixed_mask_kernel(const float* in, float* out, int n) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  __syncwarp(threadIdx.x % 2 == 0 ? 0x55555555u : 0xffffffffu);
  if (i < n) out[i] = in[i];
}

// Threads past the first warp exit; the first warp then waits at a block barrier.
__global__ void exit_at_barrier_kernel(const float* in, float* out, int n) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (threadIdx.x >= 32) return;
  __syncthreads();
  if (i < n) out[i] = in[i];
}

}  // namespace selftest_detail

// Runs one self-test kernel. `in` holds n floats; `out` has room for the kernel's output;
// `scratch` (2 ints, zeroed by the caller) is used by the atomics test.
void kernel_selftest(const char* name, const float* in, float* out, int* scratch, int n, int block, int flag,
                     StreamHandle stream) {
  using namespace selftest_detail;
  const dim3 grid(static_cast<unsigned>((n + block - 1) / block));
  const size_t smem = static_cast<size_t>(block) * sizeof(float);
  const std::string which(name);
  if (which == "block_sum") {
    launch(block_sum_kernel, "block_sum_kernel", grid, dim3(block), smem, stream, in, out, n);
  } else if (which == "warp_sum") {
    launch(warp_sum_kernel, "warp_sum_kernel", grid, dim3(block), 0, stream, in, out, n);
  } else if (which == "atomics") {
    launch(atomics_kernel, "atomics_kernel", grid, dim3(block), 0, stream, in, scratch, n);
    launch(int_to_float_kernel, "int_to_float_kernel", dim3(1), dim3(32), 0, stream, static_cast<const int*>(scratch), out, 2);
  } else if (which == "neighbour") {
    launch(neighbour_kernel, "neighbour_kernel", grid, dim3(block), smem, stream, in, out, n, flag);
  } else if (which == "reduce_twice") {
    launch(reduce_twice_kernel, "reduce_twice_kernel", grid, dim3(block), static_cast<size_t>(block / 32) * sizeof(float), stream, in, out, n, flag);
  } else if (which == "block_chain") {
    launch(block_chain_kernel, "block_chain_kernel", grid, dim3(block), 0, stream, in, out);
  } else if (which == "static_map") {
    launch(static_map_kernel, "static_map_kernel", grid, dim3(block), 0, stream, in, out, n, flag);
  } else if (which == "race_raw") {
    launch(race_raw_kernel, "race_raw_kernel", grid, dim3(block), sizeof(float), stream, in, out, n, flag);
  } else if (which == "race_war") {
    launch(race_war_kernel, "race_war_kernel", grid, dim3(block), smem, stream, in, out, n, flag);
  } else if (which == "race_waw") {
    launch(race_waw_kernel, "race_waw_kernel", grid, dim3(block), sizeof(float), stream, in, out, n, flag);
  } else if (which == "race_warp") {
    launch(race_warp_kernel, "race_warp_kernel", grid, dim3(block), smem, stream, in, out, n, flag);
  } else if (which == "exited_lane") {
    launch(exited_lane_kernel, "exited_lane_kernel", grid, dim3(block), 0, stream, in, out, n);
  } else if (which == "mixed_mask") {
    launch(mixed_mask_kernel, "mixed_mask_kernel", grid, dim3(block), 0, stream, in, out, n);
  } else if (which == "exit_at_barrier") {
    launch(exit_at_barrier_kernel, "exit_at_barrier_kernel", grid, dim3(block), 0, stream, in, out, n);
  } else if (which == "host_pointer") {
    // A kernel handed host memory: a GPU faults on it; the simulator's registry must refuse it.
    static const int host_values[2] = {1, 2};
    launch(int_to_float_kernel, "int_to_float_kernel", dim3(1), dim3(32), 0, stream, host_values, out, 2);
  } else {
    throw Error(code::kInvalidArgument, "name: expected block_sum|warp_sum|atomics|neighbour|reduce_twice|block_chain|static_map|"
                                        "race_raw|race_war|race_waw|race_warp|exited_lane|mixed_mask|exit_at_barrier|host_pointer, got \"" +
                                            which + "\"");
  }
}

#if defined(__CUDACC__)
cudaError_t probe_kernel_image() {
  cudaFuncAttributes attributes;
  return cudaFuncGetAttributes(&attributes, selftest_detail::block_sum_kernel);
}
#endif

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
