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
  if (current_[r] > peak_[r]) peak_[r] = current_[r];
  if (current_total_ > peak_total_) peak_total_ = current_total_;
}

void MemoryCounters::add(Role role, int64_t bytes) {
  current_[static_cast<int>(role)] += bytes;
  current_total_ += bytes;
  raise_peaks(role);
}

void MemoryCounters::remove(Role role, int64_t bytes) {
  current_[static_cast<int>(role)] -= bytes;
  current_total_ -= bytes;
}

void MemoryCounters::move(Role from, Role to, int64_t bytes) {
  current_[static_cast<int>(from)] -= bytes;
  current_[static_cast<int>(to)] += bytes;
  raise_peaks(to);
}

void MemoryCounters::add_paged(int64_t bytes) {
  current_paged_ += bytes;
  if (current_paged_ > peak_paged_) peak_paged_ = current_paged_;
}

void MemoryCounters::reset_peak() {
  for (int i = 0; i < kRoleCount; ++i) peak_[i] = current_[i];
  peak_total_ = current_total_;
  peak_paged_ = current_paged_;
}

}  // namespace cuoptim
