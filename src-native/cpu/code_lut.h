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
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "../../kernels/math/quant8.cuh"

namespace cuoptim {
namespace cpu {

struct CodeLut {
  static constexpr int kMantissaBits = 8;
  static constexpr int kMinExponent = 127 - 26;             // biased exponent of 2^-26
  static constexpr int kExponents = 128 - kMinExponent;     // 2^-26 .. 1 (|x| <= 1)
  static constexpr int kPerSign = (kExponents << kMantissaBits) + 1;  // + the bucket below 2^-26

  int32_t packed[2 * kPerSign];  // below | above << 8 | at << 16
  float midpoint[2 * kPerSign];  // NaN where the bucket holds no midpoint
  int32_t nan_code[2];           // the code for NaN by its sign bit
  bool valid = false;            // false: some bucket holds two midpoints; use the binary search

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
