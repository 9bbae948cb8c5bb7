// kernels/math/half.cuh — bfloat16 and float16 storage: widening, rounding and the counter-based
// random bits of stochastic rounding, identical on every backend.
//
// 16-bit values are only storage: the optimizers' math stays float32 (kernels/math/*.cuh); a
// value is widened exactly when it is loaded and rounded once when it is stored. Everything here
// is integer arithmetic on the bit patterns, so nvcc, the simulator and every cpu ISA give the
// same bits, NaNs included:
//   * bf16 -> f32 is the 16 high bits; f32 -> bf16 rounds to nearest-even on the dropped 16 bits
//     (NaN keeps its sign and high payload, with the quiet bit set).
//   * f16 <-> f32 is IEEE binary16 with round-to-nearest-even, subnormals kept, overflow to
//     Inf, NaN quieted with its high payload — what F16C's vcvtps2ph / vcvtph2ps produce.
//   * Stochastic rounding (as llm.c's adamw kernel): the dropped bits plus a uniform random
//     integer of their width, truncated; so x rounds away from zero with probability equal to its
//     distance from the value below, in units of the gap (Gupta et al. 2015). For f16 results
//     below 2^-24 * 2^-8 in magnitude the random bits run out and the result is 0.
//   * The random integer of element i of a tensor is random_bits(key, i), key from
//     (seed, tensor id, step) by stochastic_key(): a counter-based hash, so one seed gives the same
//     bits on every backend, thread count, chunking and ISA.
#pragma once

#include <string.h>

#include "common.cuh"

namespace cuoptim {
namespace math {

// How a 16-bit-capable list stores its elements (TensorFormat's 2-bit codes).
enum StorageType : unsigned { kStoreF32 = 0, kStoreBF16 = 1, kStoreF16 = 2 };

CUOPTIM_MATH_FN uint32_t f32_bits(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  return u;
}
CUOPTIM_MATH_FN float f32_from_bits(uint32_t u) {
  float x;
  memcpy(&x, &u, 4);
  return x;
}

CUOPTIM_MATH_FN float bf16_to_f32(uint16_t h) { return f32_from_bits(static_cast<uint32_t>(h) << 16); }

// `rnd` < 2^16 is added to the 16 dropped bits: 0x7fff + (kept lsb) is round-to-nearest-even.
CUOPTIM_MATH_FN uint16_t bf16_from_bits_plus(uint32_t u, uint32_t rnd) {
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);  // NaN
  return static_cast<uint16_t>((u + rnd) >> 16);
}
CUOPTIM_MATH_FN uint16_t f32_to_bf16(float x) {
  const uint32_t u = f32_bits(x);
  return bf16_from_bits_plus(u, 0x7fffu + ((u >> 16) & 1u));
}
CUOPTIM_MATH_FN uint16_t f32_to_bf16_stochastic(float x, uint32_t random) {
  return bf16_from_bits_plus(f32_bits(x), random & 0xffffu);
}

CUOPTIM_MATH_FN float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t e = (h >> 10) & 0x1fu;
  const uint32_t m = h & 0x3ffu;
  if (e == 31) return f32_from_bits(sign | 0x7f800000u | (m << 13) | (m ? 0x400000u : 0u));
  if (e == 0) return f32_from_bits(sign | f32_bits(static_cast<float>(m) * 5.9604644775390625e-8f));  // m * 2^-24, exact
  return f32_from_bits(sign | ((e + 112u) << 23) | (m << 13));
}

// f32 -> f16 with `nearest` rounding, or adding `random` to the dropped bits (stochastic).
CUOPTIM_MATH_FN uint16_t f16_round(float x, bool nearest, uint32_t random) {
  const uint32_t u = f32_bits(x);
  const uint32_t sign = (u >> 16) & 0x8000u;
  const uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u | ((a >> 13) & 0x3ffu));  // NaN
  if (a == 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u);
  if (a >= 0x38800000u) {  // a normal f16 (>= 2^-14) or overflow: rebias the exponent, round 13 bits
    if (nearest && a >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // >= 65520
    if (!nearest && a >= 0x47800000u) return static_cast<uint16_t>(sign | 0x7c00u);  // >= 65536
    const uint32_t add = nearest ? 0xfffu + ((a >> 13) & 1u) : (random & 0x1fffu);
    return static_cast<uint16_t>(sign | ((a - 0x38000000u + add) >> 13));
  }
  // Subnormal f16: q * 2^-24 with q = m * 2^(e-126-24+24) = m >> s.
  const uint32_t e = a >> 23;
  const uint32_t m = e ? ((a & 0x7fffffu) | 0x800000u) : (a & 0x7fffffu);
  const uint32_t s = e ? 126u - e : 126u;  // >= 14
  if (nearest) {
    if (s > 24) return static_cast<uint16_t>(sign);  // below 2^-25 (a tie at 2^-25 goes to even 0)
    const uint32_t q = m >> s, rem = m & ((1u << s) - 1u), half = 1u << (s - 1);
    return static_cast<uint16_t>(sign | (q + ((rem > half || (rem == half && (q & 1u))) ? 1u : 0u)));
  }
  if (s > 31) return static_cast<uint16_t>(sign);
  const uint64_t sum = static_cast<uint64_t>(m) + (random & ((1u << s) - 1u));
  return static_cast<uint16_t>(sign | static_cast<uint32_t>(sum >> s));
}
CUOPTIM_MATH_FN uint16_t f32_to_f16(float x) { return f16_round(x, true, 0u); }

// Chris Wellons' lowbias32 integer hash (a bijection of uint32 with low bias).
CUOPTIM_MATH_FN uint32_t hash32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}
// The key of one tensor's roundings at one step (host-computed once per tensor).
CUOPTIM_MATH_FN uint32_t stochastic_key(uint32_t seed, uint32_t tensor_id, uint64_t step) {
  const uint32_t s = hash32(hash32(seed) ^ tensor_id);
  return hash32(hash32(s ^ static_cast<uint32_t>(step)) ^ static_cast<uint32_t>(step >> 32));
}
// The random bits for element `index` of that tensor.
CUOPTIM_MATH_FN uint32_t random_bits(uint32_t key, int64_t index) {
  const uint64_t i = static_cast<uint64_t>(index);
  return hash32(key ^ hash32(static_cast<uint32_t>(i) ^ hash32(static_cast<uint32_t>(i >> 32) + 0x9e3779b9u)));
}

// Loads element i of a list stored as `type`, widened to f32.
CUOPTIM_MATH_FN float load_as_f32(const void* base, unsigned type, int64_t i) {
  if (type == kStoreBF16) return bf16_to_f32(static_cast<const uint16_t*>(base)[i]);
  if (type == kStoreF16) return f16_to_f32(static_cast<const uint16_t*>(base)[i]);
  return static_cast<const float*>(base)[i];
}
// Stores x as element i of a list stored as `type`: nearest-even, or stochastic with `random`.
CUOPTIM_MATH_FN void store_from_f32(void* base, unsigned type, int64_t i, float x, bool stochastic, uint32_t random) {
  if (type == kStoreBF16) {
    static_cast<uint16_t*>(base)[i] = stochastic ? f32_to_bf16_stochastic(x, random) : f32_to_bf16(x);
  } else if (type == kStoreF16) {
    static_cast<uint16_t*>(base)[i] = f16_round(x, !stochastic, random);
  } else {
    static_cast<float*>(base)[i] = x;
  }
}

// One tensor's storage in an element-wise step, packed in a uint32 (0: everything float32):
// bits 0-1 the param list's type, 2-3 the grad's, 4-5 every state list's, bit 6 stochastic
// rounding of the param, bits 7-8 the shadow list's type: with a master copy the param list holds
// the f32 master and the shadow list the 16-bit param, written from it (rounded to nearest-even)
// after every update; 0 without one.
struct TensorFormat {
  unsigned bits = 0;
  __host__ __device__ unsigned param() const { return bits & 3u; }
  __host__ __device__ unsigned grad() const { return (bits >> 2) & 3u; }
  __host__ __device__ unsigned state() const { return (bits >> 4) & 3u; }
  __host__ __device__ bool stochastic() const { return (bits >> 6) & 1u; }
  __host__ __device__ unsigned shadow() const { return (bits >> 7) & 3u; }
  static __host__ __device__ TensorFormat make(unsigned param, unsigned grad, unsigned state, bool stochastic, unsigned shadow) {
    TensorFormat f;
    f.bits = param | (grad << 2) | (state << 4) | (stochastic ? 64u : 0u) | (shadow << 7);
    return f;
  }
};

}  // namespace math
}  // namespace cuoptim
