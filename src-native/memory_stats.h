// src-native/memory_stats.h — bytes held per device, split by what the bytes are for.
//
// Every tensor belongs to one role; the optimizer re-tags params, grads and state as it meets
// them, so memoryStats() can report params / grads / optimizer state per parameter. Counts are
// logical: a tensor's bytes count from its creation until free() or garbage collection.
#pragma once

#include <cstdint>

namespace cuoptim {

enum class Role : uint8_t { Other = 0, Params, Grads, State };
inline constexpr int kRoleCount = 4;

const char* role_name(Role role);
bool parse_role(const char* name, Role* out);

class MemoryCounters {
 public:
  void add(Role role, int64_t bytes);
  void remove(Role role, int64_t bytes);
  void move(Role from, Role to, int64_t bytes);
  void reset_peak();
  // Bytes in paged (CUDA managed) memory, counted in their role too.
  void add_paged(int64_t bytes);
  void remove_paged(int64_t bytes) { current_paged_ -= bytes; }

  int64_t current(Role role) const { return current_[static_cast<int>(role)]; }
  int64_t current_paged() const { return current_paged_; }
  int64_t peak_paged() const { return peak_paged_; }
  int64_t peak(Role role) const { return peak_[static_cast<int>(role)]; }
  int64_t current_total() const { return current_total_; }
  int64_t peak_total() const { return peak_total_; }

 private:
  void raise_peaks(Role role);

  int64_t current_[kRoleCount] = {};
  int64_t peak_[kRoleCount] = {};
  int64_t current_total_ = 0;
  int64_t peak_total_ = 0;
  int64_t current_paged_ = 0;
  int64_t peak_paged_ = 0;
};

}  // namespace cuoptim
