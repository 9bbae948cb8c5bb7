// src-native/cpu/kernels_avx2.cc — the cpu kernels built for the avx2 ISA (flags set by the build).
#define CUOPTIM_CPU_ISA avx2
#define CUOPTIM_CPU_ISA_NAME "avx2"
#include "kernels.inl"
