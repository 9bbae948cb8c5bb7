// src-native/cpu/kernels.inl — the cpu backend's element loops, compiled once per ISA.
//
// Included by kernels_avx512.cc, kernels_avx2.cc and kernels_baseline.cc, each with its own
// CUOPTIM_CPU_ISA namespace and -m flags; isa.cc picks one table at run time. One loop template
// serves every element-wise Op (kernels/math/elementwise.cuh), instantiated once per flag set so
// the flags are constants and each variant vectorises without branches. The math uses only
// correctly rounded operations and contraction is off, so every ISA gives the same bits.
// Everything here has internal linkage or lives in the ISA namespace, so no symbol compiled for
// one ISA can stand in for another's at link time.

#include <optional>
#include <utility>
#include <vector>

#if defined(__F16C__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "kernel_table.h"
#include "previous_paths.h"
#include "tree_reduce.h"

namespace cuoptim {
namespace cpu {
namespace CUOPTIM_CPU_ISA {

namespace {

template <typename Op, unsigned kFlags>
void elementwise_loop(const ElementwiseChunk& c) {
  constexpr int kStates = Op::kStates > 0 ? Op::kStates : 1;
  float* __restrict p = c.param;
  const float* __restrict g = c.grad;
  float* st[kStates];
  for (int k = 0; k < kStates; ++k) st[k] = c.state[k];
  const typename Op::Hyper h = *static_cast<const typename Op::Hyper*>(c.hyper);
  float ts[Op::kTensorScalars > 0 ? Op::kTensorScalars : 1] = {};
  for (int k = 0; k < Op::kTensorScalars; ++k) ts[k] = c.tensor_scalars[k];
  const int64_t n = c.count;
  for (int64_t i = 0; i < n; ++i) {
    float pi = p[i];
    float s[kStates];
    for (int k = 0; k < Op::kStates; ++k) s[k] = Op::uses_state(kFlags, k) ? st[k][i] : 0.0f;
    Op::update(kFlags, pi, Op::kReadsGrad ? g[i] : 0.0f, s, h, ts);
    p[i] = pi;
    for (int k = 0; k < Op::kStates; ++k) {
      if (Op::uses_state(kFlags, k)) st[k][i] = s[k];
    }
  }
}

// The common mixed-precision case fused into one loop: bf16 params (rounded to nearest, or
// stochastically when kStochastic), grads of kGradBf16 ? bf16 : f32, float32 state. Every other
// 16-bit layout takes the tiled path below; both give the same bits.
template <typename Op, unsigned kFlags, bool kGradBf16, bool kStochastic>
void elementwise_loop_bf16(const ElementwiseChunk& c) {
  constexpr int kStates = Op::kStates > 0 ? Op::kStates : 1;
  uint16_t* __restrict p = reinterpret_cast<uint16_t*>(c.param);
  const uint16_t* __restrict gh = reinterpret_cast<const uint16_t*>(c.grad);
  const float* __restrict gf = c.grad;
  float* st[kStates];
  for (int k = 0; k < kStates; ++k) st[k] = c.state[k];
  const typename Op::Hyper h = *static_cast<const typename Op::Hyper*>(c.hyper);
  float ts[Op::kTensorScalars > 0 ? Op::kTensorScalars : 1] = {};
  for (int k = 0; k < Op::kTensorScalars; ++k) ts[k] = c.tensor_scalars[k];
  const int64_t n = c.count;
  const uint32_t key = c.key;
  const int64_t start = c.start;
  for (int64_t i = 0; i < n; ++i) {
    float pi = math::bf16_to_f32(p[i]);
    float s[kStates];
    for (int k = 0; k < Op::kStates; ++k) s[k] = Op::uses_state(kFlags, k) ? st[k][i] : 0.0f;
    const float gi = !Op::kReadsGrad ? 0.0f : kGradBf16 ? math::bf16_to_f32(gh[i]) : gf[i];
    Op::update(kFlags, pi, gi, s, h, ts);
    p[i] = kStochastic ? math::f32_to_bf16_stochastic(pi, math::random_bits(key, start + i)) : math::f32_to_bf16(pi);
    for (int k = 0; k < Op::kStates; ++k) {
      if (Op::uses_state(kFlags, k)) st[k][i] = s[k];
    }
  }
}

using ChunkLoop = void (*)(const ElementwiseChunk&);

// The loop for a run-time flag set, from a table of every compile-time one.
template <typename Op, size_t... kFlags>
ChunkLoop loop_for(unsigned flags, std::index_sequence<kFlags...>) {
  static constexpr ChunkLoop table[] = {&elementwise_loop<Op, kFlags>...};
  return table[flags];
}

// The fused bf16 loop for a flag set, grad type and rounding (index: grad bf16 + 2 * stochastic).
template <typename Op, size_t... kFlags>
ChunkLoop bf16_loop_for(unsigned flags, int variant, std::index_sequence<kFlags...>) {
  static constexpr ChunkLoop table[4][sizeof...(kFlags)] = {
      {&elementwise_loop_bf16<Op, kFlags, false, false>...},
      {&elementwise_loop_bf16<Op, kFlags, true, false>...},
      {&elementwise_loop_bf16<Op, kFlags, false, true>...},
      {&elementwise_loop_bf16<Op, kFlags, true, true>...},
  };
  return table[variant][flags];
}

// 16-bit storage: the run goes tile by tile through the float32 loop, each tile's lists widened
// into cache-resident buffers first and rounded back after (kernels/math/half.cuh), so the math,
// and its bits, are the float32 loop's.
constexpr int kStorageTile = 512;

// float16 <-> float32 with the CPU's conversion instructions where the ISA has them (F16C,
// AVX-512F): IEEE round-to-nearest-even with subnormals, NaNs quieted with their high payload —
// the bits of math::f32_to_f16 / f16_to_f32, which run elsewhere and for the remainder.
int f16_to_f32_fast(const uint16_t* __restrict h, int n, float* __restrict out) {
  int i = 0;
#if defined(__AVX512F__)
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(h + i))));
#elif defined(__F16C__)
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i))));
#endif
  return i;
}
int f32_to_f16_fast(const float* __restrict x, int n, uint16_t* __restrict h) {
  int i = 0;
#if defined(__AVX512F__)
  for (; i + 16 <= n; i += 16) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(h + i), _mm512_cvtps_ph(_mm512_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
#elif defined(__F16C__)
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(h + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
#endif
  return i;
}

void widen(const void* src, unsigned type, int n, float* __restrict out) {
  const uint16_t* __restrict h = static_cast<const uint16_t*>(src);
  if (type == math::kStoreBF16) {
    for (int i = 0; i < n; ++i) out[i] = math::bf16_to_f32(h[i]);
  } else {
    for (int i = f16_to_f32_fast(h, n, out); i < n; ++i) out[i] = math::f16_to_f32(h[i]);
  }
}

// Rounds n values into `dst` (elements first .. first+n of its tensor): nearest-even, or
// stochastically with the key's random bits.
void narrow(const float* __restrict x, unsigned type, int n, void* dst, bool stochastic, uint32_t key, int64_t first) {
  uint16_t* __restrict h = static_cast<uint16_t*>(dst);
  if (type == math::kStoreBF16) {
    if (stochastic) {
      for (int i = 0; i < n; ++i) h[i] = math::f32_to_bf16_stochastic(x[i], math::random_bits(key, first + i));
    } else {
      for (int i = 0; i < n; ++i) h[i] = math::f32_to_bf16(x[i]);
    }
  } else if (stochastic) {
    for (int i = 0; i < n; ++i) h[i] = math::f16_round(x[i], false, math::random_bits(key, first + i));
  } else {
    for (int i = f32_to_f16_fast(x, n, h); i < n; ++i) h[i] = math::f32_to_f16(x[i]);
  }
}

void elementwise_stored(ChunkLoop loop, const ElementwiseChunk& c, int states) {
  const math::TensorFormat f{c.format};
  alignas(64) float p[kStorageTile];
  alignas(64) float g[kStorageTile];
  alignas(64) float s[kMaxStates][kStorageTile];
  const auto advance = [](const void* base, unsigned type, int64_t k) -> const char* {
    return static_cast<const char*>(base) + k * (type == math::kStoreF32 ? 4 : 2);
  };
  for (int64_t t0 = 0; t0 < c.count; t0 += kStorageTile) {
    const int n = static_cast<int>(c.count - t0 < kStorageTile ? c.count - t0 : kStorageTile);
    ElementwiseChunk tile = c;
    tile.format = 0;
    tile.count = n;
    void* pt = const_cast<char*>(advance(c.param, f.param(), t0));
    if (f.param() != math::kStoreF32) {
      widen(pt, f.param(), n, p);
      tile.param = p;
    } else {
      tile.param = static_cast<float*>(pt);
    }
    if (c.grad) {
      const void* gt = advance(c.grad, f.grad(), t0);
      if (f.grad() != math::kStoreF32) {
        widen(gt, f.grad(), n, g);
        tile.grad = g;
      } else {
        tile.grad = static_cast<const float*>(gt);
      }
    }
    for (int k = 0; k < states; ++k) {
      if (!c.state[k]) continue;
      void* st = const_cast<char*>(advance(c.state[k], f.state(), t0));
      if (f.state() != math::kStoreF32) {
        widen(st, f.state(), n, s[k]);
        tile.state[k] = s[k];
      } else {
        tile.state[k] = static_cast<float*>(st);
      }
    }
    loop(tile);
    if (f.param() != math::kStoreF32) narrow(p, f.param(), n, pt, f.stochastic(), c.key, c.start + t0);
    for (int k = 0; k < states; ++k) {
      if (c.state[k] && f.state() != math::kStoreF32) narrow(s[k], f.state(), n, const_cast<char*>(advance(c.state[k], f.state(), t0)), false, 0, 0);
    }
    if (f.shadow()) narrow(tile.param, f.shadow(), n, const_cast<char*>(advance(c.shadow, f.shadow(), t0)), false, 0, 0);
  }
}

template <typename Op>
void elementwise(unsigned flags, const ElementwiseChunk& chunk) {
  constexpr auto kAll = std::make_index_sequence<Op::kFlagCount>();
  if (chunk.format == 0) return loop_for<Op>(flags, kAll)(chunk);
  const math::TensorFormat f{chunk.format};
  const bool f32_state = f.state() == math::kStoreF32 || Op::kStates == 0;
  if (f.param() == math::kStoreBF16 && f32_state && f.shadow() == 0 && f.grad() != math::kStoreF16) {
    return bf16_loop_for<Op>(flags, (f.grad() == math::kStoreBF16 ? 1 : 0) + (f.stochastic() ? 2 : 0), kAll)(chunk);
  }
  elementwise_stored(loop_for<Op>(flags, kAll), chunk, Op::kStates);
}

#if defined(__AVX512F__)
#include "quant_avx512.inl"
#endif

// Blockwise 8-bit Rule over one chunk, quant block by quant block: dequantize and update every
// element (keeping the f32 states), then the block's new absmax per state, then requantize — the
// CUDA functor's order, so the same codes and absmax come out.
template <typename Rule>
void blockwise_loop(const BlockwiseChunk& c) {
  constexpr int kStates = Rule::kStates;
  const typename Rule::Hyper h = *static_cast<const typename Rule::Hyper*>(c.hyper);
  float ts[Rule::kTensorScalars > 0 ? Rule::kTensorScalars : 1] = {};
  for (int k = 0; k < Rule::kTensorScalars; ++k) ts[k] = c.tensor_scalars[k];
  float s[kStates][math::kMaxQuantBlock];
  int32_t q[math::kMaxQuantBlock];  // codes as int32 first: GCC 12 vectorises that, not the narrowing store
  // 16-bit params / grads: each block widened into these first, and rounded back after.
  const math::TensorFormat f{c.format};
  alignas(64) float pw[math::kMaxQuantBlock];
  alignas(64) float gw[math::kMaxQuantBlock];
  const auto elem = [](const void* base, unsigned type, int64_t k) { return static_cast<const char*>(base) + k * (type == math::kStoreF32 ? 4 : 2); };
#if defined(__AVX512F__)
  // Each state's map and (for the dynamic maps) its search thresholds, in registers.
  std::optional<MapRegisters> map_registers[kStates];
  std::optional<SearchRegisters> search_registers[kStates];
  for (int k = 0; k < kStates; ++k) {
    if (register_lookups()) map_registers[k].emplace(c.maps[k]);
    if (register_search(c.luts[k])) search_registers[k].emplace(c.luts[k]->search);
  }
#endif
  for (int64_t b0 = 0; b0 < c.count; b0 += c.block) {
    const int64_t qb = b0 / c.block;
    const int n = static_cast<int>(c.count - b0 < c.block ? c.count - b0 : c.block);
    void* praw = const_cast<char*>(elem(c.param, f.param(), b0));
    const void* graw = elem(c.grad, f.grad(), b0);
    if (f.param() != math::kStoreF32) widen(praw, f.param(), n, pw);
    if (f.grad() != math::kStoreF32) widen(graw, f.grad(), n, gw);
    float* __restrict p = f.param() != math::kStoreF32 ? pw : static_cast<float*>(praw);
    const float* __restrict g = f.grad() != math::kStoreF32 ? gw : static_cast<const float*>(graw);
    float absmax[kStates];
    for (int k = 0; k < kStates; ++k) {
      const float old = c.absmax[k][qb];
      const uint8_t* __restrict codes = c.codes[k] + b0;
      const float* __restrict map = c.maps[k];
      float* __restrict sk = s[k];
#if defined(__AVX512F__)
      if (map_registers[k]) {
        const int done = c.luts[k] && has_vbmi() ? dequantize_vbmi(*c.luts[k], codes, old, n, sk, false) : 0;
        dequantize_avx512(*map_registers[k], codes + done, old, n - done, sk + done);
        continue;
      }
#endif
      for (int i = 0; i < n; ++i) sk[i] = math::dequantize(map, codes[i], old);
    }
    for (int i = 0; i < n; ++i) {
      float si[kStates];
      for (int k = 0; k < kStates; ++k) si[k] = s[k][i];
      float pi = p[i];
      Rule::update(g[i], pi, si, h, ts);
      p[i] = pi;
      for (int k = 0; k < kStates; ++k) s[k][i] = si[k];
    }
    if (f.param() != math::kStoreF32) narrow(pw, f.param(), n, praw, f.stochastic(), c.key, c.start + b0);
    if (f.shadow()) narrow(p, f.shadow(), n, const_cast<char*>(elem(c.shadow, f.shadow(), b0)), false, 0, 0);
    for (int k = 0; k < kStates; ++k) {
      int32_t m = 0;
      const float* __restrict sk = s[k];
      for (int i = 0; i < n; ++i) {
        const int32_t b = math::abs_bits(sk[i]);
        m = b > m ? b : m;
      }
      absmax[k] = math::from_bits(m);
      c.absmax[k][qb] = absmax[k];
    }
    for (int k = 0; k < kStates; ++k) {
      uint8_t* __restrict codes = c.codes[k] + b0;
      const float* __restrict map = c.maps[k];
      const float* __restrict sk = s[k];
      const float a = absmax[k];
#if defined(__AVX512F__)
      if (search_registers[k]) {
        quantize_avx512(*search_registers[k], sk, a, n, codes);
        continue;
      }
#endif
      if (const CodeLut* lut = c.luts[k]) {
        for (int i = 0; i < n; ++i) q[i] = lut->lookup(a > 0.0f ? sk[i] / a : 0.0f);
      } else if (Rule::is_signed(k)) {
        for (int i = 0; i < n; ++i) q[i] = math::quantize_signed(map, sk[i], a);
      } else {
        for (int i = 0; i < n; ++i) q[i] = math::quantize_unsigned(map, sk[i], a);
      }
      for (int i = 0; i < n; ++i) codes[i] = static_cast<uint8_t>(q[i]);
    }
  }
}

void quantize_loop(const QuantizeChunk& c) {
#if defined(__AVX512F__)
  std::optional<SearchRegisters> search;
  if (register_search(c.lut)) search.emplace(c.lut->search);
#endif
  for (int64_t b0 = 0; b0 < c.count; b0 += c.block) {
    const int n = static_cast<int>(c.count - b0 < c.block ? c.count - b0 : c.block);
    const float* __restrict x = c.values + b0;
    uint8_t* __restrict codes = c.codes + b0;
    int32_t bits = 0;
    for (int i = 0; i < n; ++i) {
      const int32_t b = math::abs_bits(x[i]);
      bits = b > bits ? b : bits;
    }
    const float m = math::from_bits(bits);
    c.absmax[b0 / c.block] = m;
#if defined(__AVX512F__)
    if (search) {
      quantize_avx512(*search, x, m, n, codes);
      continue;
    }
#endif
    int32_t q[math::kMaxQuantBlock];
    if (c.lut) {
      for (int i = 0; i < n; ++i) q[i] = c.lut->lookup(m > 0.0f ? x[i] / m : 0.0f);
    } else {
      for (int i = 0; i < n; ++i) q[i] = math::nearest_code(c.map, m > 0.0f ? x[i] / m : 0.0f, c.is_signed);
    }
    for (int i = 0; i < n; ++i) codes[i] = static_cast<uint8_t>(q[i]);
  }
}

void dequantize_loop(const QuantizeChunk& c) {
#if defined(__AVX512F__)
  std::optional<MapRegisters> map;
  if (register_lookups()) map.emplace(c.map);
#endif
  for (int64_t b0 = 0; b0 < c.count; b0 += c.block) {
    const int n = static_cast<int>(c.count - b0 < c.block ? c.count - b0 : c.block);
    const float a = c.absmax[b0 / c.block];
    float* __restrict x = c.values + b0;
    const uint8_t* __restrict codes = c.codes + b0;
#if defined(__AVX512F__)
    if (map) {
      const bool aligned = reinterpret_cast<uintptr_t>(x) % 64 == 0;
      const int done = c.lut && has_vbmi() ? dequantize_vbmi(*c.lut, codes, a, n, x, aligned) : 0;
      dequantize_avx512(*map, codes + done, a, n - done, x + done, aligned);
      continue;
    }
#endif
    for (int i = 0; i < n; ++i) x[i] = math::dequantize(c.map, codes[i], a);
  }
#if defined(__AVX512F__)
  _mm_sfence();  // the streaming stores are visible before the pool reports this chunk done
#endif
}

// Each row: acc[j] accumulates A[i][kk]*B[kk][j] over kk in order, vectorised over j.
void gemm_rows(const math::GemmArgs& g, int64_t i0, int64_t i1) {
  std::vector<float> acc(static_cast<size_t>(g.n));
  for (int64_t i = i0; i < i1; ++i) {
    float* __restrict a = acc.data();
    for (int64_t j = 0; j < g.n; ++j) a[j] = 0.f;
    for (int64_t kk = 0; kk < g.k; ++kk) {
      const float x = math::gemm_a(g, i, kk);
      const float* __restrict b = g.b + kk * g.ldb;
      for (int64_t j = 0; j < g.n; ++j) a[j] = fmaf(x, b[j], a[j]);
    }
    float* c = g.c + i * g.ldc;
    for (int64_t j = 0; j < g.n; ++j) c[j] = math::gemm_finish(a[j], c + j, g);
  }
}

#include "adafactor_rows.inl"

double block_sum_lanes(const double* per_thread, int threads) { return cpu::block_sum(per_thread, threads); }

void norm_sq_lanes(const float* __restrict g, int n, double* __restrict acc) {
  for (int t = 0; t < n; ++t) {
    const double x = g[t];
    acc[t] = acc[t] + x * x;
  }
}
void norm_inf_lanes(const float* __restrict g, int n, double* __restrict acc) {
  for (int t = 0; t < n; ++t) {
    const double x = g[t];
    acc[t] = math::nan_max_d(acc[t], x < 0 ? -x : x);
  }
}

}  // namespace

const KernelTable kTable = {
    CUOPTIM_CPU_ISA_NAME,
#define CUOPTIM_TABLE_ENTRY(name, Op) &elementwise<Op>,
    CUOPTIM_ELEMENTWISE_OPS(CUOPTIM_TABLE_ENTRY)
#undef CUOPTIM_TABLE_ENTRY
#define CUOPTIM_TABLE_ENTRY(name, Rule) &blockwise_loop<Rule>,
    CUOPTIM_BLOCKWISE_OPS(CUOPTIM_TABLE_ENTRY)
#undef CUOPTIM_TABLE_ENTRY
    &quantize_loop,
    &dequantize_loop,
    &gemm_rows,
    {adafactor_stats_rows(std::make_index_sequence<4>()), adafactor_rms_rows(std::make_index_sequence<4>()),
     adafactor_update_rows(std::make_index_sequence<16>()), came_res_rows(std::make_index_sequence<16>()),
     came_update_rows(std::make_index_sequence<16>())},
    &norm_sq_lanes,
    &norm_inf_lanes,
    &block_sum_lanes,
};

}  // namespace CUOPTIM_CPU_ISA
}  // namespace cpu
}  // namespace cuoptim
