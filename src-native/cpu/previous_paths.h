// src-native/cpu/previous_paths.h — CUOPTIM_CPU_PATHS=previous: the cpu loops that the 8-bit and
// Adafactor fast paths replaced (the bucket table's gathers, scalar map lookups, tile-by-tile
// Adafactor passes), kept so the bench can time both in one run. Every path gives the same bits.
#pragma once

#include <cstdlib>
#include <cstring>

namespace cuoptim {
namespace cpu {

inline bool previous_paths() {
  static const bool previous = [] {
    const char* v = std::getenv("CUOPTIM_CPU_PATHS");
    return v != nullptr && std::strcmp(v, "previous") == 0;
  }();
  return previous;
}

}  // namespace cpu
}  // namespace cuoptim
