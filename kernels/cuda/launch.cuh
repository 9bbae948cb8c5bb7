// kernels/cuda/launch.cuh — the one way a kernel is launched: `<<<grid, block, smem, stream>>>`
// under nvcc (followed by a launch-error check, and a wait under CUOPTIM_CUDA_SYNC=1), the
// simulator (kernels/sim) otherwise.
//
// Every .cu file puts its kernels and launchers in namespace CUOPTIM_KERNEL_NS — `cuda` when
// nvcc compiles it for the cuda backend, `sim` when the host compiler compiles it for cuda-sim —
// so both builds of the same source live in one addon.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "../errors.h"

#if defined(__CUDACC__)
#include <cuda_runtime.h>

#include "cuda_errors.h"
#define CUOPTIM_KERNEL_NS cuda
#else
#ifndef CUOPTIM_SIM
#error "compile kernels/cuda/*.cu with nvcc, or include kernels/sim/cuda_sim.h first"
#endif
#define CUOPTIM_KERNEL_NS sim
#endif

namespace cuoptim {

// The backend's stream, type-erased (a cudaStream_t under nvcc, unused by the simulator).
using StreamHandle = void*;

namespace CUOPTIM_KERNEL_NS {

template <typename... KernelArgs, typename... Args>
void launch(void (*kernel)(KernelArgs...), const char* name, dim3 grid, dim3 block, size_t smem, StreamHandle stream,
            Args&&... args) {
#if defined(__CUDACC__)
  kernel<<<grid, block, smem, static_cast<cudaStream_t>(stream)>>>(std::forward<Args>(args)...);
  check_launch(name, static_cast<cudaStream_t>(stream));  // cuda_errors.h: names the kernel
#else
  (void)stream;
  sim::launch_kernel(kernel, name, grid, block, smem, std::forward<Args>(args)...);
#endif
}

// The kernel-parameter space a launch may fill: 32,764 bytes on CUDA >= 12.1 (Volta and later,
// driver >= 530), the 4 KiB of older toolkits otherwise; the simulator uses the larger one.
#if defined(__CUDACC__) && CUDART_VERSION < 12010
inline constexpr int kParamBudgetBytes = 4096;
#else
inline constexpr int kParamBudgetBytes = 32764;
#endif
inline constexpr int64_t kMaxGridBlocks = 2147483647;  // CUDA's grid.x limit

// For a launch whose slots (tensors) own consecutive ranges of blocks, slot s from first[s]: the
// slot of block b, the last one whose first block is <= b (a binary search; every slot owns at
// least one block).
__device__ __forceinline__ int slot_of_block(const int* first, int slots, int b) {
  int lo = 0;
  int hi = slots - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (first[mid] <= b) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

// A large by-value kernel parameter (tensor-list metadata, up to 32 KiB): by value under nvcc,
// where it lives in the kernel's constant bank; a const reference into the launch's one copy in
// the simulator, instead of a copy on every simulated thread's stack.
#if defined(__CUDACC__)
template <typename T>
using kernel_param = T;
#else
template <typename T>
using kernel_param = const T&;
#endif

// Static shared arrays: CUOPTIM_SHARED(float, slots, [8]) is `__shared__ float slots[8]` under
// nvcc; the simulator's version (kernels/sim/cuda_sim.h) poisons it at every block start and
// names a view of it whose accesses the race detector records. Functions given a shared array
// take it as a template parameter, so both compile.
#if defined(__CUDACC__)
#define CUOPTIM_SHARED(T, name, ...) __shared__ T name __VA_ARGS__
#endif

// Unrolls the next loop under nvcc (for per-thread arrays indexed by its counter to stay in
// registers); nothing for the host compiler.
#if defined(__CUDACC__)
#define CUOPTIM_UNROLL _Pragma("unroll")
#else
#define CUOPTIM_UNROLL
#endif

// Dynamic shared memory, declared the same way under nvcc and the simulator.
#if defined(__CUDACC__)
template <typename T>
__device__ __forceinline__ T* dynamic_smem() {
  extern __shared__ __align__(16) unsigned char cuoptim_dynamic_smem[];
  return reinterpret_cast<T*>(cuoptim_dynamic_smem);
}
#else
using ::dynamic_smem;
#endif

}  // namespace CUOPTIM_KERNEL_NS
}  // namespace cuoptim
