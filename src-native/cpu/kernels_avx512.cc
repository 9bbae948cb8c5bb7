// src-native/cpu/kernels_avx512.cc — the cpu kernels built for the avx512 ISA (flags set by the build).
#define CUOPTIM_CPU_ISA avx512
#define CUOPTIM_CPU_ISA_NAME "avx512"
#include "kernels.inl"
