// src-native/memory_stats.h — bytes held per device, split by what the bytes are for.
//
// Every tensor belongs to one role; the optimizer re-tags params, grads and state as it meets
// them, so memoryStats() can report params / grads / optimizer state per parameter. Counts are
// logical: a tensor's bytes count from its creation until free() or garbage collection.
//
// Tensors are created and freed from any JS thread (worker_threads) and from finalizers, so
// every counter update and read takes the counters' lock; snapshot() reads them all at once.
#pragma once

#include <cstdint>
#include <mutex>

namespace cuoptim {

enum class Role : uint8_t { Other = 0, Params, Grads, State };
inline constexpr int kRoleCount = 4;

const char* role_name(Role role);
bool parse_role(const char* name, Role* out);

struct MemorySnapshot {
  int64_t current[kRoleCount] = {};
  int64_t peak[kRoleCount] = {};
  int64_t current_total = 0;
  int64_t peak_total = 0;
  int64_t current_paged = 0;
  int64_t peak_paged = 0;
};

class MemoryCounters {
 public:
  void add(Role role, int64_t bytes);
  void remove(Role role, int64_t bytes);
  void move(Role from, Role to, int64_t bytes);
  void reset_peak();
  // Bytes in paged (CUDA managed) memory, counted in their role too.
  void add_paged(int64_t bytes);
  void remove_paged(int64_t bytes);

  MemorySnapshot snapshot() const;

 private:
  void raise_peaks(Role role);  // with mutex_ held

  mutable std::mutex mutex_;
  MemorySnapshot s_;
};

}  // namespace cuoptim
