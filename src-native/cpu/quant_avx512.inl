// src-native/cpu/quant_avx512.inl — 8-bit code lookups and the nearest-code search in AVX-512
// registers, without a gather (included by kernels.inl in the avx512 table only).
//
// Dequantizing reads map[code]: with VBMI, 64 codes at a time from byte tables of the map's floats
// (dequantize_vbmi); otherwise the 256 floats are 16 registers, and eight two-register permutes
// (code & 31 within each 32 entries) plus three levels of blends on bits 5, 6 and 7 pick the entry.
// Quantizing is code_lut.h's CodeSearch: four levels of three comparisons with the sorted
// thresholds over the value's integer-ordered bits, the candidates taken from registers by
// permutes (two bits per level: half the dependent steps of a binary search, which this loop's
// latency is bound by). Both give the scalar path's bits: the product code[c] * absmax and the
// quotient value / absmax are the same correctly rounded operations, and the search counts
// exactly the thresholds f was built from.

// Whether a chunk takes these paths: not under CUOPTIM_CPU_PATHS=previous; the search also needs
// a valid CodeSearch of the chunk's map.
inline bool register_lookups() { return !previous_paths(); }
inline bool register_search(const CodeLut* lut) { return lut && lut->search.valid && register_lookups(); }

// The 256-entry map as 16 registers of 16 floats.
struct MapRegisters {
  __m512 part[16];
  explicit MapRegisters(const float* map) {
    for (int i = 0; i < 16; ++i) part[i] = _mm512_loadu_ps(map + 16 * i);
  }
  inline __m512 lookup(__m512i c) const {
    __m512 v[8];
    for (int q = 0; q < 8; ++q) v[q] = _mm512_permutex2var_ps(part[2 * q], c, part[2 * q + 1]);
    const __mmask16 b5 = _mm512_test_epi32_mask(c, _mm512_set1_epi32(32));
    const __mmask16 b6 = _mm512_test_epi32_mask(c, _mm512_set1_epi32(64));
    const __mmask16 b7 = _mm512_test_epi32_mask(c, _mm512_set1_epi32(128));
    const __m512 w0 = _mm512_mask_blend_ps(b5, v[0], v[1]), w1 = _mm512_mask_blend_ps(b5, v[2], v[3]);
    const __m512 w2 = _mm512_mask_blend_ps(b5, v[4], v[5]), w3 = _mm512_mask_blend_ps(b5, v[6], v[7]);
    return _mm512_mask_blend_ps(b7, _mm512_mask_blend_ps(b6, w0, w1), _mm512_mask_blend_ps(b6, w2, w3));
  }
};

// A CodeSearch's candidate thresholds as registers.
struct SearchRegisters {
  __m512i level0[3], level1[3], level2[3], level3[3][4];
  __m512i nan_positive, nan_negative;
  explicit SearchRegisters(const CodeSearch& s) {
    for (int u = 0; u < 3; ++u) {
      level0[u] = _mm512_set1_epi32(s.threshold[64 * (u + 1) - 1]);
      level1[u] = _mm512_load_si512(s.level1[u]);
      level2[u] = _mm512_load_si512(s.level2[u]);
      for (int r = 0; r < 4; ++r) level3[u][r] = _mm512_load_si512(s.level3[u] + 16 * r);
    }
    nan_positive = _mm512_set1_epi32(s.nan_code[0]);
    nan_negative = _mm512_set1_epi32(s.nan_code[1]);
  }

  // p*4 plus how many of the three candidates lie below the key.
  static inline __m512i level(__m512i p, __m512i key, __m512i c0, __m512i c1, __m512i c2) {
    const __m512i one = _mm512_set1_epi32(1);
    p = _mm512_slli_epi32(p, 2);
    p = _mm512_mask_add_epi32(p, _mm512_cmpgt_epi32_mask(key, c0), p, one);
    p = _mm512_mask_add_epi32(p, _mm512_cmpgt_epi32_mask(key, c1), p, one);
    return _mm512_mask_add_epi32(p, _mm512_cmpgt_epi32_mask(key, c2), p, one);
  }

  // The code of each lane of x (CodeSearch::count of its key; NaN: nan_code by sign).
  inline __m512i code(__m512 x) const {
    const __m512i bits = _mm512_castps_si512(x);
    const __m512i key = _mm512_xor_si512(bits, _mm512_and_si512(_mm512_srai_epi32(bits, 31), _mm512_set1_epi32(0x7FFFFFFF)));
    __m512i p = level(_mm512_setzero_si512(), key, level0[0], level0[1], level0[2]);
    p = level(p, key, _mm512_permutexvar_epi32(p, level1[0]), _mm512_permutexvar_epi32(p, level1[1]), _mm512_permutexvar_epi32(p, level1[2]));
    p = level(p, key, _mm512_permutexvar_epi32(p, level2[0]), _mm512_permutexvar_epi32(p, level2[1]), _mm512_permutexvar_epi32(p, level2[2]));
    // p < 64: two-register permutes on bits 0..4, a blend on bit 5.
    const __mmask16 high = _mm512_test_epi32_mask(p, _mm512_set1_epi32(32));
    __m512i c[3];
    for (int u = 0; u < 3; ++u) {
      c[u] = _mm512_mask_blend_epi32(high, _mm512_permutex2var_epi32(level3[u][0], p, level3[u][1]), _mm512_permutex2var_epi32(level3[u][2], p, level3[u][3]));
    }
    p = level(p, key, c[0], c[1], c[2]);
    const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
    if (__builtin_expect(nan == 0, 1)) return p;
    const __mmask16 negative = _mm512_movepi32_mask(bits);
    return _mm512_mask_blend_epi32(nan, p, _mm512_mask_blend_epi32(negative, nan_positive, nan_negative));
  }
};

inline __mmask16 lanes(int left) { return left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1); }

// out[i] = map[codes[i]] * absmax (math::dequantize). `streaming`: out is 64-byte aligned and is
// written around the caches (no read for ownership: a third less memory traffic for a tensor
// written whole); the caller fences before its result is read.
void dequantize_avx512(const MapRegisters& map, const uint8_t* __restrict codes, float absmax, int n, float* __restrict out, bool streaming = false) {
  const __m512 a = _mm512_set1_ps(absmax);
  int i = 0;
  if (streaming) {
    for (; i + 16 <= n; i += 16) {
      const __m512i c = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + i)));
      _mm512_stream_ps(out + i, _mm512_mul_ps(map.lookup(c), a));
    }
  }
  for (; i < n; i += 16) {
    const __mmask16 m = lanes(n - i);
    const __m512i c = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, codes + i));
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(map.lookup(c), a));
  }
}

// With AVX-512 VBMI (byte permutes), 64 codes at a time: each of the four bytes of the map's
// floats is a 256-entry byte table (two 128-entry permutes and a blend on bit 7), and two levels
// of unpacks put the bytes back together as floats. The codes are first reordered so that the
// unpacks, which work within 128-bit lanes, leave the floats in order. Three times fewer
// instructions than MapRegisters::lookup; the same floats.
bool has_vbmi() {
  static const bool vbmi = __builtin_cpu_supports("avx512vbmi");
  return vbmi;
}

// Elements [0, n rounded down to 64) of out[i] = map[codes[i]] * absmax; returns that count.
__attribute__((target("avx512vbmi"))) int dequantize_vbmi(const CodeLut& lut, const uint8_t* __restrict codes, float absmax, int n, float* __restrict out,
                                                          bool streaming) {
  __m512i plane[4][4];
  for (int b = 0; b < 4; ++b) {
    for (int q = 0; q < 4; ++q) plane[b][q] = _mm512_load_si512(lut.map_bytes[b] + 64 * q);
  }
  // Output vector k, 128-bit lane l, dword d comes from input byte 16l + 4k + d after the unpacks.
  alignas(64) static constexpr uint8_t kOrder[64] = {0,  1,  2,  3,  16, 17, 18, 19, 32, 33, 34, 35, 48, 49, 50, 51,  //
                                                     4,  5,  6,  7,  20, 21, 22, 23, 36, 37, 38, 39, 52, 53, 54, 55,  //
                                                     8,  9,  10, 11, 24, 25, 26, 27, 40, 41, 42, 43, 56, 57, 58, 59,  //
                                                     12, 13, 14, 15, 28, 29, 30, 31, 44, 45, 46, 47, 60, 61, 62, 63};
  const __m512i order = _mm512_load_si512(kOrder);
  const __m512 a = _mm512_set1_ps(absmax);
  int i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512i c = _mm512_permutexvar_epi8(order, _mm512_loadu_si512(codes + i));
    const __mmask64 high = _mm512_movepi8_mask(c);
    __m512i p[4];
    for (int b = 0; b < 4; ++b) {
      p[b] = _mm512_mask_blend_epi8(high, _mm512_permutex2var_epi8(plane[b][0], c, plane[b][1]), _mm512_permutex2var_epi8(plane[b][2], c, plane[b][3]));
    }
    const __m512i lo01 = _mm512_unpacklo_epi8(p[0], p[1]), hi01 = _mm512_unpackhi_epi8(p[0], p[1]);
    const __m512i lo23 = _mm512_unpacklo_epi8(p[2], p[3]), hi23 = _mm512_unpackhi_epi8(p[2], p[3]);
    const __m512i v[4] = {_mm512_unpacklo_epi16(lo01, lo23), _mm512_unpackhi_epi16(lo01, lo23), _mm512_unpacklo_epi16(hi01, hi23),
                          _mm512_unpackhi_epi16(hi01, hi23)};
    for (int k = 0; k < 4; ++k) {
      const __m512 x = _mm512_mul_ps(_mm512_castsi512_ps(v[k]), a);
      if (streaming) _mm512_stream_ps(out + i + 16 * k, x);
      else _mm512_storeu_ps(out + i + 16 * k, x);
    }
  }
  return i;
}

// codes[i] = f(absmax > 0 ? s[i] / absmax : 0), f the function the search was built from.
void quantize_avx512(const SearchRegisters& search, const float* __restrict s, float absmax, int n, uint8_t* __restrict codes) {
  const __m512 a = _mm512_set1_ps(absmax);
  const bool scale = absmax > 0.0f;
  for (int i = 0; i < n; i += 16) {
    const __mmask16 m = lanes(n - i);
    const __m512 x = scale ? _mm512_div_ps(_mm512_maskz_loadu_ps(m, s + i), a) : _mm512_setzero_ps();
    _mm_mask_storeu_epi8(codes + i, m, _mm512_cvtepi32_epi8(search.code(x)));
  }
}
