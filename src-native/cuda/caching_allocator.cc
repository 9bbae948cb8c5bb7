// src-native/cuda/caching_allocator.cc — size-bucketed free lists over cudaMalloc.
#include "caching_allocator.h"

#include <cuda_runtime_api.h>

#include <string>

#include "../errors.h"

namespace cuoptim {
namespace cuda {

size_t CachingAllocator::rounded(size_t bytes) {
  constexpr size_t kSmall = 512, kLarge = size_t{2} << 20, kLargeFrom = size_t{1} << 20;
  if (bytes == 0) return kSmall;
  const size_t unit = bytes >= kLargeFrom ? kLarge : kSmall;
  return (bytes + unit - 1) / unit * unit;
}

CachingAllocator::~CachingAllocator() { release_cache(); }

void* CachingAllocator::allocate(size_t bytes) {
  const size_t size = rounded(bytes);
  auto it = free_.find(size);
  if (it != free_.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    cached_ -= size;
    return p;
  }
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, size);
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear the sticky-free error state
    release_cache();
    err = cudaMalloc(&p, size);
  }
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw Error(err == cudaErrorMemoryAllocation ? code::kOutOfMemory : code::kKernel,
                "cuda: could not allocate " + std::to_string(bytes) + " bytes: " + cudaGetErrorString(err));
  }
  return p;
}

void CachingAllocator::deallocate(void* ptr, size_t bytes) {
  if (!ptr) return;
  const size_t size = rounded(bytes);
  free_[size].push_back(ptr);
  cached_ += size;
}

void CachingAllocator::release_cache() {
  for (auto& [size, blocks] : free_) {
    for (void* p : blocks) cudaFree(p);
  }
  free_.clear();
  cached_ = 0;
}

}  // namespace cuda
}  // namespace cuoptim
