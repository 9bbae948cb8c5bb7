// src-native/cpu/cpu_backend.cc — host memory and the chunked, pooled optimizer passes.
#include "cpu_backend.h"

#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>

#include "../errors.h"
#include "thread_pool.h"

namespace cuoptim {
namespace cpu {

namespace {
constexpr size_t kAlignment = 64;  // one cache line, one AVX-512 vector
size_t padded(size_t bytes) { return bytes == 0 ? kAlignment : (bytes + kAlignment - 1) / kAlignment * kAlignment; }
}  // namespace

void* CpuBackend::allocate(size_t bytes) {
  void* p = std::aligned_alloc(kAlignment, padded(bytes));
  if (!p) throw Error(code::kOutOfMemory, "cpu: could not allocate " + std::to_string(bytes) + " bytes");
  return p;
}

void CpuBackend::deallocate(void* ptr, size_t) { std::free(ptr); }
// memmove, not memcpy: a host array handed to upload() may be this tensor's own zero-copy view.
void CpuBackend::fill_zero(void* dst, size_t bytes) {
  if (bytes) std::memset(dst, 0, bytes);
}
void CpuBackend::upload(void* dst, const void* src, size_t bytes) {
  if (bytes) std::memmove(dst, src, bytes);
}
void CpuBackend::download(void* dst, const void* src, size_t bytes) {
  if (bytes) std::memmove(dst, src, bytes);
}
void CpuBackend::copy(void* dst, const void* src, size_t bytes) {
  if (bytes) std::memmove(dst, src, bytes);
}

std::vector<ChunkRef> split_chunks(const TensorLists& lists) {
  std::vector<ChunkRef> chunks;
  for (size_t t = 0; t < lists.size(); ++t) {
    for (int64_t off = 0; off < lists.numel[t]; off += kChunkElems) {
      const int64_t left = lists.numel[t] - off;
      chunks.push_back({static_cast<int32_t>(t), off, left < kChunkElems ? left : kChunkElems});
    }
  }
  return chunks;
}

void for_each_chunk(const std::vector<ChunkRef>& chunks, int64_t total_numel,
                    const std::function<void(const ChunkRef&)>& fn) {
  if (total_numel < kSerialBelow) {
    for (const ChunkRef& c : chunks) fn(c);
    return;
  }
  pool().parallel_for(static_cast<int64_t>(chunks.size()),
                      [&](int64_t i) { fn(chunks[static_cast<size_t>(i)]); });
}


}  // namespace cpu
}  // namespace cuoptim
