// kernels/math/quant8.cuh — 8-bit dynamic quantization (bitsandbytes' maps and rounding), shared
// by every backend.
//
// Dettmers et al. 2022, "8-bit Optimizers via Block-wise Quantization" (arXiv:2110.02861);
// bitsandbytes' create_dynamic_map (functional.py) and quantize_2D (csrc/kernels.cu):
//   * the dynamic map: 256 sorted codes, seven decades 1e-6 .. 1 with 2^i (signed) or 2^(i+1)
//     (unsigned) midpoints of linspace(0.1, 1) in decade i, their negatives when signed, 0 and 1;
//   * a value is normalised by its block's absmax and stored as the index of the nearest code,
//     found by the same 7-step binary search bitsandbytes uses (ties go to the last probed code);
//   * dequantization is code[index] * absmax.
// bitsandbytes builds the map with torch.linspace, whose last bits vary with the torch version and
// CPU; here linspace is exactly rounded, so entries may differ from a given torch build's by an
// ulp or two (test/adam8bit.test.ts measures it against torch 1.13's: at most 2).
#pragma once

#include <string.h>

#include "common.cuh"

namespace cuoptim {
namespace math {

inline constexpr int kCodeCount = 256;

// The dynamic map, sorted ascending (host only; kernels read it from device memory).
inline void dynamic_map(bool is_signed, float* out) {
  int k = 0;
  for (int i = 0; i < 7; ++i) {
    const int fraction_items = is_signed ? (1 << i) + 1 : (1 << (i + 1)) + 1;
    const float scale = static_cast<float>(pow(10.0, i - 6));  // a Python float times a float32 tensor
    for (int j = 0; j + 1 < fraction_items; ++j) {
      const float lo = static_cast<float>(0.1 + 0.9 * j / (fraction_items - 1));
      const float hi = static_cast<float>(0.1 + 0.9 * (j + 1) / (fraction_items - 1));
      const float mean = (lo + hi) / 2.0f;
      out[k++] = scale * mean;
      if (is_signed) out[k++] = -(scale * mean);
    }
  }
  out[k++] = 0.0f;
  out[k++] = 1.0f;
  while (k < kCodeCount) out[k++] = 0.0f;  // never reached for 8 bits: the map is exactly full
  for (int i = 1; i < kCodeCount; ++i) {     // insertion sort: 256 values, once per process
    const float v = out[i];
    int j = i - 1;
    while (j >= 0 && out[j] > v) {
      out[j + 1] = out[j];
      --j;
    }
    out[j + 1] = v;
  }
}

// Index of the code nearest to x (x in [-1, 1], or [0, 1] unsigned), by bitsandbytes'
// binary search: 7 halvings from index 127, then the nearer of the two bracketing codes
// (x exactly on a midpoint keeps the last probed code). Written without branches so the cpu
// loops vectorise; `code` is sorted ascending.
template <typename Code>  // const float*, or the simulator's view of a shared array
CUOPTIM_MATH_FN int nearest_code(Code code, float x, bool is_signed) {
  int pivot = 127, lower_pivot = 0, upper_pivot = 255;
  float lower = is_signed ? -1.0f : 0.0f, upper = 1.0f;
  float val = code[127];
  CUOPTIM_UNROLL
  for (int k = 0; k < 7; ++k) {
    const int step = 64 >> k;
    const bool up = x > val;
    lower_pivot = up ? pivot : lower_pivot;
    lower = up ? val : lower;
    upper_pivot = up ? upper_pivot : pivot;
    upper = up ? upper : val;
    pivot = up ? pivot + step : pivot - step;
    val = code[pivot];
  }
  const bool above = x > val;
  const float midpoint = (above ? upper + val : lower + val) * 0.5f;
  return above ? (x > midpoint ? upper_pivot : pivot) : (x < midpoint ? lower_pivot : pivot);
}

// A first-moment value to its signed code. bitsandbytes keeps the sign: when the nearest code
// has the other sign (0.0 for a small negative value), step one code toward the value's side.
// A block whose absmax is 0 holds only zeros: they get the code of 0.
CUOPTIM_MATH_FN bool sign_bit(float x) {
  int32_t u;
  memcpy(&u, &x, sizeof(u));
  return u < 0;
}

template <typename Code>
CUOPTIM_MATH_FN uint8_t quantize_signed(Code code, float value, float absmax) {
  const float x = absmax > 0.0f ? value / absmax : 0.0f;
  const int c = nearest_code(code, x, true);
  const int fixed = sign_bit(code[c]) != sign_bit(x) ? (x > 0.0f ? c + 1 : c - 1) : c;
  return static_cast<uint8_t>(fixed & 0xFF);
}

// A non-negative value (second moment) to its unsigned code.
template <typename Code>
CUOPTIM_MATH_FN uint8_t quantize_unsigned(Code code, float value, float absmax) {
  const float x = absmax > 0.0f ? value / absmax : 0.0f;
  return static_cast<uint8_t>(nearest_code(code, x, false));
}

template <typename Code>
CUOPTIM_MATH_FN float dequantize(Code code, uint8_t c, float absmax) { return code[c] * absmax; }

// |x| as its bit pattern, for max-reductions in integers (which vectorise where float max does
// not): non-negative floats order like their bits. NaN counts as 0, as fmaxf ignores NaN.
// (Signed: GCC 12 vectorises the signed compare-and-select, not the unsigned one.)
CUOPTIM_MATH_FN int32_t abs_bits(float x) {
  int32_t u;
  memcpy(&u, &x, sizeof(u));
  u &= 0x7FFFFFFF;
  return u > 0x7F800000 ? 0 : u;
}

CUOPTIM_MATH_FN float from_bits(int32_t u) {
  float x;
  memcpy(&x, &u, sizeof(x));
  return x;
}

}  // namespace math
}  // namespace cuoptim
