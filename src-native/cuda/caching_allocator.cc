// src-native/cuda/caching_allocator.cc — size-bucketed free lists over cudaMalloc.
#include "caching_allocator.h"

#include <cuda_runtime_api.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "../../kernels/cuda/cuda_errors.h"
#include "../../kernels/errors.h"

namespace cuoptim {
namespace cuda {

size_t CachingAllocator::rounded(size_t bytes) {
  constexpr size_t kSmall = 512, kLarge = size_t{2} << 20, kLargeFrom = size_t{1} << 20;
  if (bytes == 0) return kSmall;
  const size_t unit = bytes >= kLargeFrom ? kLarge : kSmall;
  return (bytes + unit - 1) / unit * unit;
}

CachingAllocator::~CachingAllocator() { release_cache_locked(); }

bool CachingAllocator::caching_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("CUOPTIM_CUDA_CACHE");
    return v == nullptr || std::strcmp(v, "0") != 0;
  }();
  return on;
}

void* CachingAllocator::allocate(size_t bytes) {
  if (!caching_enabled()) {
    void* p = nullptr;
    const cudaError_t err = cudaMalloc(&p, bytes ? bytes : 1);
    if (err != cudaSuccess) throw_cuda_error(err, "could not allocate " + std::to_string(bytes) + " bytes");
    return p;
  }
  const size_t size = rounded(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
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
    release_cache_locked();
    err = cudaMalloc(&p, size);
  }
  if (err != cudaSuccess) throw_cuda_error(err, "could not allocate " + std::to_string(bytes) + " bytes");
  return p;
}

void CachingAllocator::deallocate(void* ptr, size_t bytes) {
  if (!ptr) return;
  if (!caching_enabled()) {
    cudaDeviceSynchronize();  // queued kernels may still use it
    cudaFree(ptr);
    cudaGetLastError();
    return;
  }
  const size_t size = rounded(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  free_[size].push_back(ptr);
  cached_ += size;
}

size_t CachingAllocator::cached_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cached_;
}

void CachingAllocator::release_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  release_cache_locked();
}

void CachingAllocator::release_cache_locked() {
  // A cached block may still be in use by kernels queued before it was freed (reuse on the one
  // stream is ordered, a return to the driver is not): wait for the device first.
  cudaDeviceSynchronize();
  cudaGetLastError();
  for (auto& [size, blocks] : free_) {
    for (void* p : blocks) cudaFree(p);
  }
  free_.clear();
  cached_ = 0;
}

}  // namespace cuda
}  // namespace cuoptim
