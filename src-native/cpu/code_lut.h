// src-native/cpu/code_lut.h — nearest-code lookup for the cpu 8-bit loops, without the 7-step
// binary search.
//
// quant8.cuh's nearest_code (and quantize_signed, which adds the sign fix) map x (a value /
// absmax, in [-1, 1]) to a code index; as a function of x it is a non-decreasing step function that changes only at the
// midpoints between neighbouring codes. Bucketing x by its float bits (sign, exponent and the top
// kMantissaBits of the mantissa, with everything below 2^-26 in one bucket per sign) leaves at most
// one midpoint per bucket for the dynamic maps, so each bucket stores: the code below its
// midpoint, the code above it, the code exactly at it, and the midpoint. The table is built from
// the very function the kernels use — evaluated at bucket ends and midpoints — so lookups give the
// same codes bit for bit (test/backends.bitwise.test.ts compares with cuda-sim's binary search).
// Two gathers per element instead of eight, and loops GCC vectorises.
//
// The same function is also kept as 255 sorted thresholds over the float's bits ordered as
// integers (CodeSearch below): code(x) = #{j : key(x) > threshold[j]}. That count is a 4-level
// search, two bits per level, whose candidate thresholds fit in vector registers: the AVX-512
// loops quantize that way, without a gather (quant_avx512.inl).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../../kernels/math/quant8.cuh"

namespace cuoptim {
namespace cpu {

// The thresholds of a non-decreasing code function, laid out as the AVX-512 search reads them.
// key(x) orders floats as signed integers: the bits for x >= +0, -1 - |bits| below, so -0 < +0
// (quantize_signed tells them apart: -0 takes the code below 0). For x not NaN the code is the
// number of thresholds below key(x) (threshold[255] = INT32_MAX is never passed). The search
// finds it two bits at a time: with the prefix p found so far and quarter size q (64, 16, 4, 1),
// the next two bits count how many of threshold[4qp + q - 1], [4qp + 2q - 1], [4qp + 3q - 1] lie
// below the key. The candidates of each level are registers' lanes indexed by p.
struct CodeSearch {
  static constexpr int32_t kNever = 0x7FFFFFFF;
  alignas(64) int32_t threshold[256];
  alignas(64) int32_t level1[3][16];  // p < 4:  threshold[64p + 16(u+1) - 1] (lanes 4.. unused)
  alignas(64) int32_t level2[3][16];  // p < 16: threshold[16p + 4(u+1) - 1]
  alignas(64) int32_t level3[3][64];  // p < 64: threshold[4p + u]
  int32_t nan_code[2];                // the code for NaN by its sign bit
  bool valid = false;

  static int32_t key(float x) {
    int32_t b;
    std::memcpy(&b, &x, sizeof(b));
    return b ^ ((b >> 31) & 0x7FFFFFFF);
  }
  static float from_key(int32_t k) {
    const int32_t b = k ^ ((k >> 31) & 0x7FFFFFFF);
    float x;
    std::memcpy(&x, &b, sizeof(x));
    return x;
  }
  // The search's result, written plainly (the build checks it against f).
  int32_t count(int32_t k) const { return static_cast<int32_t>(std::lower_bound(threshold, threshold + 256, k) - threshold); }

  // Thresholds of f by bisection over the keys of -inf .. +inf, then a check of f against the
  // count at every threshold's neighbours and over a sweep of every exponent; any difference
  // (f not monotone) leaves valid false, and the callers keep the other path.
  template <typename F>
  void build(F f) {
    const int32_t lo_key = key(-__builtin_inff()), hi_key = key(__builtin_inff());
    for (int j = 1; j < 256; ++j) {
      int32_t threshold_j = kNever;
      if (f(from_key(hi_key)) >= j) {
        int64_t lo = lo_key, hi = hi_key;  // smallest key with f >= j lies in [lo, hi]
        while (lo < hi) {
          const int64_t mid = lo + (hi - lo) / 2;
          if (f(from_key(static_cast<int32_t>(mid))) >= j) hi = mid;
          else lo = mid + 1;
        }
        threshold_j = static_cast<int32_t>(lo - 1);  // lo_key - 1 when every key has f >= j
      }
      threshold[j - 1] = threshold_j;
    }
    threshold[255] = kNever;
    valid = true;
    const auto check = [&](int64_t k) {
      if (k < lo_key || k > hi_key) return;
      if (count(static_cast<int32_t>(k)) != f(from_key(static_cast<int32_t>(k)))) valid = false;
    };
    for (int j = 0; j < 255; ++j) {
      for (int64_t d = -2; d <= 2; ++d) check(static_cast<int64_t>(threshold[j]) + d);
    }
    for (uint32_t sign = 0; sign < 2; ++sign) {
      for (uint32_t high = 0; high < (1u << 14); ++high) {  // exponent and the top 6 mantissa bits
        const uint32_t bits = sign << 31 | high << 17 | 0x1234u;
        float x;
        std::memcpy(&x, &bits, sizeof(x));
        if (x == x) check(key(x));
      }
    }
    for (int u = 0; u < 3; ++u) {
      for (int p = 0; p < 16; ++p) level1[u][p] = p < 4 ? threshold[64 * p + 16 * (u + 1) - 1] : kNever;
      for (int p = 0; p < 16; ++p) level2[u][p] = threshold[16 * p + 4 * (u + 1) - 1];
      for (int p = 0; p < 64; ++p) level3[u][p] = threshold[4 * p + u];
    }
    for (uint32_t sign = 0; sign < 2; ++sign) {
      const uint32_t bits = sign << 31 | 0x7FC00000u;
      float x;
      std::memcpy(&x, &bits, sizeof(x));
      nan_code[sign] = f(x);
    }
  }
};

struct CodeLut {
  static constexpr int kMantissaBits = 8;
  static constexpr int kMinExponent = 127 - 26;             // biased exponent of 2^-26
  static constexpr int kExponents = 128 - kMinExponent;     // 2^-26 .. 1 (|x| <= 1)
  static constexpr int kPerSign = (kExponents << kMantissaBits) + 1;  // + the bucket below 2^-26

  int32_t packed[2 * kPerSign];  // below | above << 8 | at << 16
  float midpoint[2 * kPerSign];  // NaN where the bucket holds no midpoint
  int32_t nan_code[2];           // the code for NaN by its sign bit
  bool valid = false;            // false: some bucket holds two midpoints; use the binary search
  CodeSearch search;             // the same function as thresholds (AVX-512 loops)
  alignas(64) uint8_t map_bytes[4][256];  // byte b of each code's float, for byte-permute lookups

  // Bucket of a float's bits; NaN, infinities and |x| >= 2 land in bucket 0 (the caller checks).
  static inline int32_t bucket(int32_t bits) {
    const int32_t sign = (bits >> 31) & 1;
    const int32_t exponent = (bits >> 23) & 0xFF;
    const int32_t mantissa = (bits >> (23 - kMantissaBits)) & ((1 << kMantissaBits) - 1);
    const int32_t above_min = exponent < kMinExponent ? 0 : exponent - kMinExponent;  // no shift of a negative
    int32_t slot = (above_min << kMantissaBits) + mantissa + 1;
    slot = exponent < kMinExponent ? 0 : slot;
    slot = exponent > 127 ? 0 : slot;
    return sign * kPerSign + slot;
  }

  // The table of quantize_signed (sign_fix) or nearest_code over `code`.
  void build(const float* code, bool is_signed, bool sign_fix) {
    auto f = [&](float x) -> int32_t {
      return sign_fix ? math::quantize_signed(code, x, 1.0f) : math::nearest_code(code, x, is_signed);
    };
    auto from = [](uint32_t b) {
      float x;
      std::memcpy(&x, &b, sizeof(x));
      return x;
    };
    std::vector<float> mids;
    for (int j = 0; j + 1 < math::kCodeCount; ++j) mids.push_back((code[j] + code[j + 1]) * 0.5f);
    valid = true;
    for (uint32_t sign = 0; sign < 2; ++sign) {
      for (int slot = 0; slot < kPerSign; ++slot) {
        // The bucket's range of bit patterns and its two end values.
        uint32_t lo, hi;
        if (slot == 0) {
          lo = 0;
          hi = (static_cast<uint32_t>(kMinExponent) << 23) - 1;
        } else {
          const uint32_t e = static_cast<uint32_t>(kMinExponent + ((slot - 1) >> kMantissaBits));
          const uint32_t m = static_cast<uint32_t>((slot - 1) & ((1 << kMantissaBits) - 1));
          lo = (e << 23) | (m << (23 - kMantissaBits));
          hi = lo | ((1u << (23 - kMantissaBits)) - 1);
        }
        const float a = from((sign << 31) | lo), b = from((sign << 31) | hi);
        const float small = a < b ? a : b, large = a < b ? b : a;
        float mid = from(0x7FC00000u);  // NaN: no midpoint, every comparison false
        int found = 0;
        for (float m : mids) {
          if (m >= small && m <= large) {
            mid = m;
            ++found;
          }
        }
        if (found > 1) valid = false;
        const int32_t below = f(small), above = f(large), at = found ? f(mid) : below;
        const int i = static_cast<int>(sign) * kPerSign + slot;
        packed[i] = below | above << 8 | at << 16;
        midpoint[i] = mid;
      }
      nan_code[sign] = f(from((sign << 31) | 0x7FC00000u));
    }
    search.build(f);
    for (int i = 0; i < math::kCodeCount; ++i) {
      uint32_t u;
      std::memcpy(&u, code + i, sizeof(u));
      for (int b = 0; b < 4; ++b) map_bytes[b][i] = static_cast<uint8_t>(u >> (8 * b));
    }
  }

  // The code for x; vectorisable (two gathers).
  inline int32_t lookup(float x) const {
    int32_t bits;
    std::memcpy(&bits, &x, sizeof(bits));
    const int32_t i = bucket(bits);
    const int32_t p = packed[i];
    const float m = midpoint[i];
    const int32_t code = x < m ? (p & 0xFF) : (x > m ? ((p >> 8) & 0xFF) : ((p >> 16) & 0xFF));
    return x != x ? nan_code[(bits >> 31) & 1] : code;
  }
};

// The lookup tables of the dynamic maps, built on first use.
struct DynamicCodeLuts {
  CodeLut signed_fixed;  // quantize_signed: the optimizers' first moments
  CodeLut signed_plain;  // nearest_code on the signed map: quantize_blockwise
  CodeLut unsigned_map;  // nearest_code on the unsigned map (= quantize_unsigned)
};
const DynamicCodeLuts& dynamic_code_luts();

}  // namespace cpu
}  // namespace cuoptim
