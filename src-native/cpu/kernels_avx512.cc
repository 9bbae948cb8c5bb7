// src-native/cpu/kernels_avx512.cc — the cpu kernels built for the avx512 ISA (flags set by the build).
#define CUOPTIM_CPU_ISA avx512
#define CUOPTIM_CPU_ISA_NAME "avx512"
// GCC 12's AVX-512 intrinsics initialise their "undefined" operands from themselves, which
// -Wmaybe-uninitialized reports once inlined (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "kernels.inl"
