// src-native/cpu/cpu_backend.cc — host memory and the chunked, pooled optimizer passes.
#include "cpu_backend.h"

#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>

#include "../../kernels/errors.h"
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
  parallel_for(static_cast<int64_t>(chunks.size()),
                      [&](int64_t i) { fn(chunks[static_cast<size_t>(i)]); });
}


const DynamicCodeLuts& dynamic_code_luts() {
  static const DynamicCodeLuts* luts = [] {
    auto* l = new DynamicCodeLuts();
    float code[math::kCodeCount];
    math::dynamic_map(true, code);
    l->signed_fixed.build(code, true, true);
    l->signed_plain.build(code, true, false);
    math::dynamic_map(false, code);
    l->unsigned_map.build(code, false, false);
    return l;
  }();
  return *luts;
}

namespace {
// The table for a map this backend handed out (null for any other map, or an invalid table).
const CodeLut* lut_for(const float* map, bool is_signed, bool sign_fix, const float* signed_map, const float* unsigned_map) {
  const DynamicCodeLuts& l = dynamic_code_luts();
  const CodeLut* t = nullptr;
  if (map == signed_map && is_signed) t = sign_fix ? &l.signed_fixed : &l.signed_plain;
  if (map == unsigned_map && !is_signed) t = &l.unsigned_map;
  return t && t->valid ? t : nullptr;
}

// values/codes/absmax as lists 0/1/2 (quantize) or 2/0/1 (dequantize).
void run_quantize(const QuantizeArgs& a, int values, int codes, int absmax, QuantizeFn loop, const CodeLut* lut) {
  const TensorLists& l = a.lists;
  for_each_chunk(split_chunks(l), l.total_numel(), [&](const ChunkRef& c) {
    const auto& ptrs = l.ptrs[c.tensor];
    QuantizeChunk chunk{};
    chunk.values = static_cast<float*>(ptrs[values]) + c.offset;
    chunk.codes = static_cast<uint8_t*>(ptrs[codes]) + c.offset;
    chunk.absmax = static_cast<float*>(ptrs[absmax]) + c.offset / a.block_size;
    chunk.map = a.map;
    chunk.lut = lut;
    chunk.count = c.count;
    chunk.block = a.block_size;
    chunk.is_signed = a.is_signed;
    loop(chunk);
  });
}
}  // namespace

const CodeLut* CpuBackend::lut(const float* map, bool is_signed, bool sign_fix) {
  return lut_for(map, is_signed, sign_fix, dynamic_map(true), dynamic_map(false));
}

void CpuBackend::quantize_blockwise(const QuantizeArgs& a) {
  run_quantize(a, 0, 1, 2, kernels().quantize_blockwise, lut(a.map, a.is_signed, false));
}
void CpuBackend::dequantize_blockwise(const QuantizeArgs& a) {
  run_quantize(a, 2, 0, 1, kernels().dequantize_blockwise, lut(a.map, a.is_signed, false));  // the lut for its map's bytes
}

}  // namespace cpu
}  // namespace cuoptim
