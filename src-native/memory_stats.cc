// src-native/memory_stats.cc — per-role byte counters with peaks.
#include "memory_stats.h"

#include <cstring>

namespace cuoptim {

namespace {
const char* const kRoleNames[kRoleCount] = {"other", "params", "grads", "state"};
}

const char* role_name(Role role) { return kRoleNames[static_cast<int>(role)]; }

bool parse_role(const char* name, Role* out) {
  for (int i = 0; i < kRoleCount; ++i) {
    if (std::strcmp(name, kRoleNames[i]) == 0) {
      *out = static_cast<Role>(i);
      return true;
    }
  }
  return false;
}

void MemoryCounters::raise_peaks(Role role) {
  const int r = static_cast<int>(role);
  if (s_.current[r] > s_.peak[r]) s_.peak[r] = s_.current[r];
  if (s_.current_total > s_.peak_total) s_.peak_total = s_.current_total;
}

void MemoryCounters::add(Role role, int64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  s_.current[static_cast<int>(role)] += bytes;
  s_.current_total += bytes;
  raise_peaks(role);
}

void MemoryCounters::remove(Role role, int64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  s_.current[static_cast<int>(role)] -= bytes;
  s_.current_total -= bytes;
}

void MemoryCounters::move(Role from, Role to, int64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  s_.current[static_cast<int>(from)] -= bytes;
  s_.current[static_cast<int>(to)] += bytes;
  raise_peaks(to);
}

void MemoryCounters::add_paged(int64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  s_.current_paged += bytes;
  if (s_.current_paged > s_.peak_paged) s_.peak_paged = s_.current_paged;
}

void MemoryCounters::remove_paged(int64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  s_.current_paged -= bytes;
}

void MemoryCounters::reset_peak() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (int i = 0; i < kRoleCount; ++i) s_.peak[i] = s_.current[i];
  s_.peak_total = s_.current_total;
  s_.peak_paged = s_.current_paged;
}

MemorySnapshot MemoryCounters::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return s_;
}

}  // namespace cuoptim
