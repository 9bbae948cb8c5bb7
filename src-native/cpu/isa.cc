// src-native/cpu/isa.cc — picks the cpu kernel table for this machine at run time. On x86-64
// (CUOPTIM_CPU_X86, set by the build) the AVX-512, AVX2 and baseline tables are compiled in; on
// other CPUs only the portable baseline, so "avx512" and "avx2" are simply not available there.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "kernel_table.h"

namespace cuoptim {
namespace cpu {

namespace {

bool cpu_has(const char* isa) {
#if defined(CUOPTIM_CPU_X86)
  if (std::strcmp(isa, "avx512") == 0) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
  }
  if (std::strcmp(isa, "avx2") == 0) {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  }
#endif
  return std::strcmp(isa, "baseline") == 0;
}

const KernelTable* table_named(const char* isa) {
#if defined(CUOPTIM_CPU_X86)
  if (std::strcmp(isa, "avx512") == 0) return &avx512::kTable;
  if (std::strcmp(isa, "avx2") == 0) return &avx2::kTable;
#endif
  if (std::strcmp(isa, "baseline") == 0) return &baseline::kTable;
  return nullptr;
}

const KernelTable* best_table() {
  if (const char* forced = std::getenv("CUOPTIM_CPU_ISA")) {
    const KernelTable* t = table_named(forced);
    if (t && cpu_has(forced)) return t;
  }
  for (const char* isa : {"avx512", "avx2", "baseline"}) {
    if (cpu_has(isa)) return table_named(isa);
  }
  return &baseline::kTable;
}

// Atomic: setCpuIsa may run on one JS thread while another thread's step reads the table (every
// table gives the same bits, so a step that sees the switch midway is still exact).
std::atomic<const KernelTable*>& current() {
  static std::atomic<const KernelTable*> table{best_table()};
  return table;
}

}  // namespace

const KernelTable& kernels() { return *current().load(std::memory_order_acquire); }

bool set_isa(const char* name) {
  const KernelTable* t = table_named(name);
  if (!t || !cpu_has(name)) return false;
  current().store(t, std::memory_order_release);
  return true;
}

}  // namespace cpu
}  // namespace cuoptim
