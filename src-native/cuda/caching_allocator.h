// src-native/cuda/caching_allocator.h — device memory reuse for the cuda backend.
//
// cudaMalloc / cudaFree synchronise the device and cost tens of microseconds, so freed blocks
// are kept in per-size free lists (sizes rounded up to 512 bytes, or to 2 MiB above 1 MiB) and
// handed out again. With a single stream, a block freed while kernels that use it are still
// queued can be reused at once: later work on the same stream runs after them. When cudaMalloc
// fails, the cache is released and the allocation retried once.
#pragma once

#include <cstddef>
#include <map>
#include <vector>

namespace cuoptim {
namespace cuda {

class CachingAllocator {
 public:
  ~CachingAllocator();
  void* allocate(size_t bytes);
  void deallocate(void* ptr, size_t bytes);
  void release_cache();
  size_t cached_bytes() const { return cached_; }

  static size_t rounded(size_t bytes);

 private:
  std::map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0;
};

}  // namespace cuda
}  // namespace cuoptim
