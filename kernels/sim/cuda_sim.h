// kernels/sim/cuda_sim.h — the CUDA execution model on the CPU, so kernels/cuda/*.cu run in CI
// without a GPU (the cuda-sim backend).
//
// Include this, then a .cu file, in a host-compiled translation unit (src-native/sim/). What a
// kernel may use, and how the simulator provides it:
//   * threadIdx, blockIdx, blockDim, gridDim, warpSize — per simulated thread.
//   * Blocks run one after another; the threads of a block are cooperative fibers, each with its
//     own stack, so locals are private and __syncthreads() really is a barrier: a thread that
//     reaches it waits until every live thread of the block has.
//   * Static shared arrays, declared with CUOPTIM_SHARED(T, name, [dims]) (a raw __shared__ does
//     not compile here), and dynamic shared memory (dynamic_smem<T>()): both are poisoned with
//     0xFF bytes at every block start, so reading a slot before this block wrote it shows up as
//     NaN / garbage instead of the previous block's value.
//   * Warp intrinsics: __syncwarp, __shfl_sync, __shfl_up_sync, __shfl_down_sync,
//     __shfl_xor_sync, __ballot_sync, __any_sync, __all_sync; the participating lanes exchange
//     values through a per-warp mailbox with a warp barrier on each side.
//   * atomicAdd (int, unsigned, unsigned long long, float), atomicMax / atomicMin (int,
//     unsigned), atomicCAS, atomicExch; __threadfence (a no-op: threads never run at once).
//   * float4 / make_float4, __float_as_uint and friends, __popc, __ldg.
//   * Every pointer a kernel gets (an argument, or a field of an argument that lists its pointers
//     with for_each_device_pointer) must point into a live cuda-sim allocation, or be null.
//   * CUOPTIM_SIM_RACECHECK=1 (read at each launch): every shared-memory access is recorded, per
//     element, with the block's barrier epoch and the warp's; a read-after-write, write-after-read
//     or write-after-write by two threads with no __syncthreads between them (nor a warp
//     operation, for two lanes of one warp) is reported as an error naming both threads.
//   * CUOPTIM_SIM_STRICT=1 (read at each launch): a warp operation's mask must name the calling
//     lane and only live lanes, every lane of one warp operation must pass the same mask, and a
//     thread must not exit while other threads of its block wait at, or later reach, a barrier.
// A kernel must not use anything else (no textures, cooperative groups, clusters, inline PTX,
// __nanosleep, or fast-math intrinsics). Launch configurations are checked as CUDA checks them
// (<= 1024 threads per block, grid.y/z <= 65535, shared memory <= 48 KiB), and a barrier that
// some threads never reach is reported as a deadlock instead of hanging.
#pragma once

#ifndef CUOPTIM_SIM
#define CUOPTIM_SIM 1
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "device_registry.h"

// --- CUDA keywords and built-in types ----------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
// Static shared memory: one copy per OS thread, poisoned when the block's first thread reaches
// the declaration (poison_static_shared), so every block starts with 0xFF bytes in it. `name` is
// a view of it (SharedPtr below) whose element accesses the race detector sees.
#define CUOPTIM_SHARED(T, name, ...)                                                   \
  static thread_local T name##_sim_storage __VA_ARGS__;                                \
  ::cuoptim::sim::poison_static_shared(&name##_sim_storage, sizeof(name##_sim_storage)); \
  const auto name = ::cuoptim::sim::shared_view(name##_sim_storage, #name)
#define __align__(n) alignas(n)

struct uint3 {
  unsigned x, y, z;
};

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};

struct alignas(16) float4 {
  float x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }

namespace cuoptim {
namespace sim {

struct Fiber;

// What the running simulated thread sees.
struct ThreadContext {
  uint3 thread_idx;
  unsigned lane;
  unsigned warp;
  Fiber* fiber;
};

struct Barrier {
  int arrived = 0;
  uint64_t generation = 0;
};

struct WarpState {
  Barrier barrier;
  uint64_t mailbox[32];
  unsigned live_mask = 0;     // lanes that exist and have not exited
  unsigned pending_mask = 0;  // strict mode: the mask of the warp operation lanes wait at
};

struct BlockContext {
  uint3 block_idx;
  dim3 block_dim;
  dim3 grid_dim;
  unsigned char* dynamic_smem;
  size_t dynamic_smem_bytes;
  Barrier barrier;
  int live_threads;  // the block's threads that have not exited
  bool strict;                              // CUOPTIM_SIM_STRICT=1
  struct RaceDetector* race;                // CUOPTIM_SIM_RACECHECK=1: shared-memory accesses, else null
  const void* poisoned_statics[16];         // static shared arrays this block has poisoned
  int poisoned_count;
  WarpState warps[32];
};

extern thread_local ThreadContext* current_thread;
extern thread_local BlockContext* current_block;

// Barriers and warp exchange, called from inside a simulated thread.
void sync_block();
void sync_warp(unsigned mask);
uint64_t warp_exchange(unsigned mask, uint64_t value, unsigned src_lane, bool* src_valid);

// Fills a static shared array with 0xFF the first time a thread of the current block declares it.
void poison_static_shared(void* array, size_t bytes);

// The race detector (CUOPTIM_SIM_RACECHECK=1, kernels/sim/cuda_sim.cc): one access to the
// element at `p` of the shared array `array` (whose first element is at `base`).
void race_access(const void* p, const void* base, size_t element_bytes, const char* array, bool write);

// A shared-memory element as kernels use it: reads and writes go through the race detector when
// it is on (`race`, taken from the block when the view was made), and are plain loads and stores
// otherwise.
template <typename T>
class SharedRef {
 public:
  SharedRef(T* p, const void* base, const char* array, RaceDetector* race) : p_(p), base_(base), array_(array), race_(race) {}
  operator T() const {
    if (race_) race_access(p_, base_, sizeof(T), array_, false);
    return *p_;
  }
  const SharedRef& operator=(T v) const {
    if (race_) race_access(p_, base_, sizeof(T), array_, true);
    *p_ = v;
    return *this;
  }
  const SharedRef& operator=(const SharedRef& other) const { return *this = static_cast<T>(other); }
  const SharedRef& operator+=(T v) const { return *this = static_cast<T>(*this) + v; }
  const SharedRef& operator-=(T v) const { return *this = static_cast<T>(*this) - v; }
  const SharedRef& operator*=(T v) const { return *this = static_cast<T>(*this) * v; }

 private:
  T* p_;
  const void* base_;
  const char* array_;
  RaceDetector* race_;
};

// A shared array (or one row of a 2-D one), indexed like the array it views.
template <typename E>
struct SharedPtr {
  E* p;
  const void* base;
  const char* array;
  RaceDetector* race;  // the block's detector when it is on, else null
  auto operator[](int64_t i) const {
    if constexpr (std::is_array<E>::value) {
      return SharedPtr<std::remove_extent_t<E>>{p[i], base, array, race};
    } else {
      return SharedRef<E>(p + i, base, array, race);
    }
  }
};

template <typename E, size_t N>
SharedPtr<E> shared_view(E (&a)[N], const char* array) {
  return {a, a, array, current_block->race};
}

// Runs body() once per thread of every block. Throws cuoptim::Error for an invalid launch or a
// deadlocked barrier.
void run_grid(dim3 grid, dim3 block, size_t smem_bytes, const char* kernel_name, const std::function<void()>& body);

template <typename T>
uint64_t to_bits(T v) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shuffle a 1..8-byte trivially copyable value");
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  return bits;
}

template <typename T>
T from_bits(uint64_t bits) {
  T v;
  std::memcpy(&v, &bits, sizeof(T));
  return v;
}

// Value of `v` in lane `src` (within this lane's width-sized segment), or the caller's own value
// when that lane does not take part, as CUDA defines for out-of-range sources.
template <typename T>
T shuffle(unsigned mask, T v, unsigned src, bool in_range) {
  bool valid = false;
  const uint64_t bits = warp_exchange(mask, to_bits(v), src, &valid);
  return (in_range && valid) ? from_bits<T>(bits) : v;
}

// launch(kernel, ...) under the simulator: the arguments are copied once, as a CUDA launch
// copies them into the kernel's parameter buffer, and every simulated thread calls the kernel
// with its own copy.
template <typename T, typename = void>
struct lists_device_pointers : std::false_type {};
template <typename T>
struct lists_device_pointers<T, decltype(std::declval<const T&>().for_each_device_pointer(
                                    std::declval<void (*)(const void*, const char*)>()))> : std::true_type {};

// Pointer arguments, and the pointers a struct argument lists, must be sim device memory.
template <typename T>
void check_kernel_argument(const T& arg, const char* kernel, size_t index) {
  if constexpr (std::is_pointer<T>::value) {
    check_device_pointer(static_cast<const void*>(arg), kernel, index, nullptr);
  } else if constexpr (lists_device_pointers<T>::value) {
    arg.for_each_device_pointer([&](const void* p, const char* field) { check_device_pointer(p, kernel, index, field); });
  }
}

template <typename... KernelArgs, typename... Args>
void launch_kernel(void (*kernel)(KernelArgs...), const char* name, dim3 grid, dim3 block, size_t smem, Args&&... args) {
  std::tuple<std::decay_t<KernelArgs>...> params(std::forward<Args>(args)...);
  std::apply([&](const auto&... arg) {
    size_t index = 0;
    (check_kernel_argument(arg, name, index++), ...);
  }, params);
  run_grid(grid, block, smem, name, [&]() { std::apply(kernel, params); });
}

}  // namespace sim
}  // namespace cuoptim

#define threadIdx (::cuoptim::sim::current_thread->thread_idx)
#define blockIdx (::cuoptim::sim::current_block->block_idx)
#define blockDim (::cuoptim::sim::current_block->block_dim)
#define gridDim (::cuoptim::sim::current_block->grid_dim)
#define warpSize 32

// --- synchronisation and warp intrinsics -----------------------------------------------------------
inline void __syncthreads() { ::cuoptim::sim::sync_block(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { ::cuoptim::sim::sync_warp(mask); }
inline void __threadfence() {}
inline void __threadfence_block() {}

template <typename T>
T __shfl_sync(unsigned mask, T v, int src_lane, int width = 32) {
  const unsigned lane = ::cuoptim::sim::current_thread->lane;
  const unsigned base = lane & ~static_cast<unsigned>(width - 1);
  return ::cuoptim::sim::shuffle(mask, v, base + (static_cast<unsigned>(src_lane) % width), true);
}

template <typename T>
T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  const unsigned lane = ::cuoptim::sim::current_thread->lane;
  const unsigned in_segment = lane & static_cast<unsigned>(width - 1);
  return ::cuoptim::sim::shuffle(mask, v, lane - delta, in_segment >= delta);
}

template <typename T>
T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  const unsigned lane = ::cuoptim::sim::current_thread->lane;
  const unsigned in_segment = lane & static_cast<unsigned>(width - 1);
  return ::cuoptim::sim::shuffle(mask, v, lane + delta, in_segment + delta < static_cast<unsigned>(width));
}

template <typename T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
  const unsigned lane = ::cuoptim::sim::current_thread->lane;
  const unsigned src = lane ^ static_cast<unsigned>(lane_mask);
  const unsigned base = lane & ~static_cast<unsigned>(width - 1);
  return ::cuoptim::sim::shuffle(mask, v, src, src >= base && src < base + static_cast<unsigned>(width));
}

unsigned __ballot_sync(unsigned mask, int predicate);
inline int __any_sync(unsigned mask, int predicate) { return __ballot_sync(mask, predicate) != 0; }
inline int __all_sync(unsigned mask, int predicate) { return __ballot_sync(mask, predicate) == (__ballot_sync(mask, 1)); }

// --- atomics: threads of the simulator never run at the same time, so plain updates are atomic -----
template <typename T>
T atomicAdd(T* address, T value) {
  static_assert(std::is_same<T, int>::value || std::is_same<T, unsigned>::value ||
                    std::is_same<T, unsigned long long>::value || std::is_same<T, float>::value,
                "atomicAdd: int, unsigned, unsigned long long or float, as CUDA");
  const T old = *address;
  *address = old + value;
  return old;
}
template <typename T>
T atomicMax(T* address, T value) {
  static_assert(std::is_same<T, int>::value || std::is_same<T, unsigned>::value, "atomicMax: int or unsigned, as CUDA");
  const T old = *address;
  if (value > old) *address = value;
  return old;
}
template <typename T>
T atomicMin(T* address, T value) {
  static_assert(std::is_same<T, int>::value || std::is_same<T, unsigned>::value, "atomicMin: int or unsigned, as CUDA");
  const T old = *address;
  if (value < old) *address = value;
  return old;
}
template <typename T>
T atomicCAS(T* address, T compare, T value) {
  const T old = *address;
  if (old == compare) *address = value;
  return old;
}
template <typename T>
T atomicExch(T* address, T value) {
  const T old = *address;
  *address = value;
  return old;
}

// --- bit casts and small intrinsics ------------------------------------------------------------------
inline unsigned __float_as_uint(float f) { return ::cuoptim::sim::from_bits<unsigned>(::cuoptim::sim::to_bits(f)); }
inline float __uint_as_float(unsigned u) { return ::cuoptim::sim::from_bits<float>(::cuoptim::sim::to_bits(u)); }
inline int __float_as_int(float f) { return ::cuoptim::sim::from_bits<int>(::cuoptim::sim::to_bits(f)); }
inline float __int_as_float(int i) { return ::cuoptim::sim::from_bits<float>(::cuoptim::sim::to_bits(i)); }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
template <typename T>
T __ldg(const T* p) {
  return *p;
}

// Dynamic shared memory (the launch's smem bytes), the one way kernels declare it.
template <typename T>
::cuoptim::sim::SharedPtr<T> dynamic_smem() {
  T* p = reinterpret_cast<T*>(::cuoptim::sim::current_block->dynamic_smem);
  return {p, p, "dynamic shared memory", ::cuoptim::sim::current_block->race};
}

