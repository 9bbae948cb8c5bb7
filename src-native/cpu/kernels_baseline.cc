// src-native/cpu/kernels_baseline.cc — the cpu kernels built for the baseline ISA (flags set by the build).
#define CUOPTIM_CPU_ISA baseline
#define CUOPTIM_CPU_ISA_NAME "baseline"
#include "kernels.inl"
