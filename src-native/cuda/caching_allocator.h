// src-native/cuda/caching_allocator.h — device memory reuse for the cuda backend.
//
// cudaMalloc / cudaFree synchronise the device and cost tens of microseconds, so freed blocks
// are kept in per-size free lists (sizes rounded up to 512 bytes, or to 2 MiB above 1 MiB) and
// handed out again. With a single stream, a block freed while kernels that use it are still
// queued can be reused at once: later work on the same stream runs after them. When cudaMalloc
// fails, the device is synchronised, the cache released and the allocation retried once.
// Locked: tensors are created and freed from any JS thread and from finalizers.
// CUOPTIM_CUDA_CACHE=0 turns the cache off: exact-size cudaMalloc / cudaFree per tensor, so
// compute-sanitizer's memcheck sees every allocation's true end (scripts/gpu-check.sh).
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <vector>

namespace cuoptim {
namespace cuda {

class CachingAllocator {
 public:
  ~CachingAllocator();
  void* allocate(size_t bytes);
  void deallocate(void* ptr, size_t bytes);
  void release_cache();
  size_t cached_bytes() const;

  static size_t rounded(size_t bytes);
  // Whether CUOPTIM_CUDA_CACHE leaves the cache on (unset or 1; 0 turns it off).
  static bool caching_enabled();

 private:
  void release_cache_locked();

  mutable std::mutex mutex_;
  std::map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0;
};

}  // namespace cuda
}  // namespace cuoptim
