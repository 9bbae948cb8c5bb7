// kernels/sim/cuda_sim.cc — the simulator's scheduler: fibers for the threads of a block,
// barriers, warp exchange, launch-configuration checks.
//
// Each simulated thread runs on its own stack (mmap'd, with a guard page). On x86-64 a ten-line
// context switch (callee-saved registers, MXCSR and the x87 control word, as the System V ABI
// requires) moves between stacks without a system call; elsewhere ucontext does it.
// The scheduler sweeps the block's fibers, running each until it finishes or waits at a barrier;
// a barrier opens when every live participant has arrived. A sweep in which no fiber can run
// while some are unfinished is a deadlock, reported as an error.
//
// The order is a choice, as on a GPU, and code must not depend on it. Read at each launch:
//   CUOPTIM_SIM_THREAD_ORDER  forward (default: thread order), reverse, random (a fresh
//                             permutation per sweep), greedy-warp (each warp runs as far as it
//                             can before the next one starts, so the warp that opens a barrier
//                             runs ahead of the others: what exposes a missing barrier after
//                             shared slots are read);
//   CUOPTIM_SIM_BLOCK_ORDER   forward (default), reverse, random (a permutation of the grid);
//   CUOPTIM_SIM_SEED          the random orders' seed (a whole number, default 0).
// CUOPTIM_SIM_RACECHECK=1 records every shared-memory access and reports two threads touching
// one element, at least one of them writing, with no barrier between them (RaceDetector below).
// CUOPTIM_SIM_STRICT=1 turns on the checks a GPU would punish but the scheduler would forgive
// (warp masks naming absent or exited lanes, lanes of one warp operation passing different
// masks, threads exiting while others wait at a barrier). Pointer arguments are always checked
// against the registry of sim allocations.
#include "cuda_sim.h"

#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__)
#define CUOPTIM_SIM_ASM_SWITCH 1
#include <xmmintrin.h>
#else
#include <ucontext.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <mutex>
#include <numeric>
#include <string>
#include <unordered_map>
#include <vector>

#include "../errors.h"

#if defined(__SANITIZE_ADDRESS__)
#define CUOPTIM_SIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CUOPTIM_SIM_ASAN 1
#endif
#endif

#ifdef CUOPTIM_SIM_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace cuoptim {
namespace sim {

thread_local ThreadContext* current_thread = nullptr;
thread_local BlockContext* current_block = nullptr;

namespace {

// CUDA's limits for every architecture we build for.
constexpr unsigned kMaxThreadsPerBlock = 1024;
constexpr unsigned kMaxGridYZ = 65535;
constexpr size_t kMaxSharedBytes = 48 * 1024;
#ifdef CUOPTIM_SIM_ASAN
constexpr size_t kStackBytes = 1 << 20;  // sanitizer redzones make frames larger
#else
constexpr size_t kStackBytes = 128 << 10;
#endif

enum class FiberState { Ready, Waiting, Done };

enum class ThreadOrder { Forward, Reverse, Random, GreedyWarp };
enum class BlockOrder { Forward, Reverse, Random };
struct Orders {
  ThreadOrder thread = ThreadOrder::Forward;
  BlockOrder block = BlockOrder::Forward;
  uint64_t seed = 0;
  bool strict = false;
  bool racecheck = false;
};

Orders read_orders() {
  Orders o;
  const auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  const std::string thread = env("CUOPTIM_SIM_THREAD_ORDER");
  if (thread == "reverse") o.thread = ThreadOrder::Reverse;
  else if (thread == "random") o.thread = ThreadOrder::Random;
  else if (thread == "greedy-warp") o.thread = ThreadOrder::GreedyWarp;
  else if (!thread.empty() && thread != "forward") {
    throw Error(code::kInvalidArgument, "CUOPTIM_SIM_THREAD_ORDER: expected forward, reverse, random or greedy-warp, got \"" + thread + "\"");
  }
  const std::string block = env("CUOPTIM_SIM_BLOCK_ORDER");
  if (block == "reverse") o.block = BlockOrder::Reverse;
  else if (block == "random") o.block = BlockOrder::Random;
  else if (!block.empty() && block != "forward") {
    throw Error(code::kInvalidArgument, "CUOPTIM_SIM_BLOCK_ORDER: expected forward, reverse or random, got \"" + block + "\"");
  }
  const std::string strict = env("CUOPTIM_SIM_STRICT");
  if (strict == "1") o.strict = true;
  else if (!strict.empty() && strict != "0") throw Error(code::kInvalidArgument, "CUOPTIM_SIM_STRICT: expected 0 or 1, got \"" + strict + "\"");
  const std::string race = env("CUOPTIM_SIM_RACECHECK");
  if (race == "1") o.racecheck = true;
  else if (!race.empty() && race != "0") throw Error(code::kInvalidArgument, "CUOPTIM_SIM_RACECHECK: expected 0 or 1, got \"" + race + "\"");
  const std::string seed = env("CUOPTIM_SIM_SEED");
  if (!seed.empty()) {
    char* end = nullptr;
    o.seed = std::strtoull(seed.c_str(), &end, 10);
    if (*end != '\0' || seed[0] == '-') throw Error(code::kInvalidArgument, "CUOPTIM_SIM_SEED: expected a whole number, got \"" + seed + "\"");
  }
  return o;
}

// SplitMix64 (Steele et al. 2014): the random orders' generator.
uint64_t next_random(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Fisher-Yates over `v`.
void shuffle(std::vector<int>& v, uint64_t& state) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<size_t>(next_random(state) % i)]);
}

}  // namespace

#if CUOPTIM_SIM_ASM_SWITCH
// Saves the callee-saved state on the current stack, stores the stack pointer in *save_sp and
// resumes the context whose stack pointer is new_sp.
extern "C" void cuoptim_sim_switch(void** save_sp, void* new_sp);
asm(R"(
  .text
  .globl cuoptim_sim_switch
  .hidden cuoptim_sim_switch
  .type cuoptim_sim_switch, @function
cuoptim_sim_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size cuoptim_sim_switch, .-cuoptim_sim_switch
  .section .note.GNU-stack,"",@progbits
)");
struct MachineContext {
  void* sp = nullptr;
};
#else
using MachineContext = ucontext_t;
#endif

struct Fiber {
  MachineContext context;
  ThreadContext thread;
  FiberState state = FiberState::Ready;
  Barrier* waiting_on = nullptr;
  uint64_t waiting_generation = 0;
  void* stack = nullptr;  // usable stack, above the guard page
  std::exception_ptr error;
};

namespace {

struct Stack {
  void* base = nullptr;  // mapping start (guard page)
  size_t bytes = 0;
};

// Per OS thread: the scheduler's own context and a cache of fiber stacks.
struct Scheduler {
  MachineContext context;
  std::vector<Stack> stacks;
  const std::function<void()>* body = nullptr;
  Fiber* running = nullptr;
#ifdef CUOPTIM_SIM_ASAN
  void* fake_stack = nullptr;
  const void* scheduler_stack_bottom = nullptr;
  size_t scheduler_stack_size = 0;
#endif

  ~Scheduler() {
    for (Stack& s : stacks) munmap(s.base, s.bytes);
  }

  void* stack(size_t i) {
    while (stacks.size() <= i) {
      const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
      Stack s;
      s.bytes = kStackBytes + page;
      s.base = mmap(nullptr, s.bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (s.base == MAP_FAILED) throw Error(code::kOutOfMemory, "cuda-sim: could not map a fiber stack");
      mprotect(s.base, page, PROT_NONE);  // overflow faults instead of corrupting a neighbour
      stacks.push_back(s);
    }
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    return static_cast<char*>(stacks[i].base) + page;
  }
};

thread_local Scheduler scheduler;

void switch_to_fiber(Fiber& f) {
  scheduler.running = &f;
  current_thread = &f.thread;
#ifdef CUOPTIM_SIM_ASAN
  __sanitizer_start_switch_fiber(&scheduler.fake_stack, f.stack, kStackBytes);
#endif
#if CUOPTIM_SIM_ASM_SWITCH
  cuoptim_sim_switch(&scheduler.context.sp, f.context.sp);
#else
  swapcontext(&scheduler.context, &f.context);
#endif
#ifdef CUOPTIM_SIM_ASAN
  __sanitizer_finish_switch_fiber(scheduler.fake_stack, nullptr, nullptr);
#endif
  scheduler.running = nullptr;
  current_thread = nullptr;
}

// From inside a fiber: back to the scheduler (to wait, or having finished).
void yield_to_scheduler(bool finished) {
  Fiber* f = scheduler.running;
#ifdef CUOPTIM_SIM_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(finished ? nullptr : &fake, scheduler.scheduler_stack_bottom, scheduler.scheduler_stack_size);
#endif
#if CUOPTIM_SIM_ASM_SWITCH
  cuoptim_sim_switch(&f->context.sp, scheduler.context.sp);
#else
  swapcontext(&f->context, &scheduler.context);
#endif
#ifdef CUOPTIM_SIM_ASAN
  __sanitizer_finish_switch_fiber(fake, &scheduler.scheduler_stack_bottom, &scheduler.scheduler_stack_size);
#endif
  (void)finished;
}

void fiber_entry() {
#ifdef CUOPTIM_SIM_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &scheduler.scheduler_stack_bottom, &scheduler.scheduler_stack_size);
#endif
  Fiber* f = scheduler.running;
  try {
    (*scheduler.body)();
  } catch (...) {
    f->error = std::current_exception();
  }
  f->state = FiberState::Done;
  yield_to_scheduler(true);
}

// Waits at `b` until `participants` threads have arrived (the last arrival opens it).
void arrive_and_wait(Barrier& b, int participants) {
  Fiber* f = scheduler.running;
  if (++b.arrived >= participants) {
    b.arrived = 0;
    ++b.generation;
    return;
  }
  f->state = FiberState::Waiting;
  f->waiting_on = &b;
  f->waiting_generation = b.generation;
  yield_to_scheduler(false);
}

// A thread exited: barriers it will never reach may now be complete.
void release_if_complete(Barrier& b, int participants) {
  if (b.arrived > 0 && b.arrived >= participants) {
    b.arrived = 0;
    ++b.generation;
  }
}

// A stack is reused by the next block's fiber: forget the redzones its previous frames left.
void clear_stack_poison(Fiber& f) {
#ifdef CUOPTIM_SIM_ASAN
  ASAN_UNPOISON_MEMORY_REGION(f.stack, kStackBytes);
#else
  (void)f;
#endif
}

#if CUOPTIM_SIM_ASM_SWITCH
// A new fiber's stack, laid out as cuoptim_sim_switch leaves a suspended one: MXCSR and x87
// control word, six callee-saved registers, then the address to "return" to (fiber_entry),
// placed so that fiber_entry starts with the stack alignment a call would give it.
void prepare_fiber(Fiber& f) {
  clear_stack_poison(f);
  auto* top = reinterpret_cast<uint64_t*>(static_cast<char*>(f.stack) + kStackBytes);
  uint16_t fpu_control = 0;
  asm volatile("fnstcw %0" : "=m"(fpu_control));
  uint64_t* sp = top;
  *--sp = 0;                                             // fiber_entry's (never used) return address
  *--sp = reinterpret_cast<uint64_t>(&fiber_entry);      // where the first switch returns to
  for (int r = 0; r < 6; ++r) *--sp = 0;                 // rbp rbx r12 r13 r14 r15
  *--sp = uint64_t{_mm_getcsr()} | uint64_t{fpu_control} << 32;
  f.context.sp = sp;
}
#else
// getcontext() "returns twice" as far as the compiler knows; keeping it in its own frame keeps
// the scheduler's locals out of that analysis.
__attribute__((noinline)) void prepare_fiber(Fiber& f) {
  clear_stack_poison(f);
  getcontext(&f.context);
  f.context.uc_stack.ss_sp = f.stack;
  f.context.uc_stack.ss_size = kStackBytes;
  f.context.uc_link = nullptr;
  makecontext(&f.context, fiber_entry, 0);
}
#endif

std::string dims(dim3 d) { return "(" + std::to_string(d.x) + ", " + std::to_string(d.y) + ", " + std::to_string(d.z) + ")"; }

void check_launch(dim3 grid, dim3 block, size_t smem, const char* name) {
  const uint64_t threads = uint64_t{block.x} * block.y * block.z;
  const auto bad = [&](const std::string& why) {
    throw Error(code::kKernel, std::string("cuda-sim: invalid launch of ") + name + " (grid " + dims(grid) +
                                   ", block " + dims(block) + ", " + std::to_string(smem) + " B shared): " + why);
  };
  if (threads == 0 || grid.x == 0 || grid.y == 0 || grid.z == 0) bad("a zero dimension");
  if (threads > kMaxThreadsPerBlock) bad("more than 1024 threads per block");
  if (block.z > 64) bad("block.z > 64");
  if (grid.y > kMaxGridYZ || grid.z > kMaxGridYZ) bad("grid.y or grid.z > 65535");
  if (smem > kMaxSharedBytes) bad("more than 48 KiB of dynamic shared memory");
}

// Base address -> bytes of every live sim allocation. Leaked on purpose: allocations may be
// released during static destruction, after a registry with a destructor would be gone.
struct Registry {
  std::mutex mutex;
  std::map<uintptr_t, size_t> allocations;
};
Registry& registry() {
  static Registry* r = new Registry();
  return *r;
}

std::string hex(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%p", p);
  return buf;
}

[[noreturn]] void strict_error(const std::string& what) {
  throw Error(code::kKernel, std::string("cuda-sim (CUOPTIM_SIM_STRICT): ") + what + " (thread " +
                                 std::to_string(current_thread->thread_idx.x) + ", warp " + std::to_string(current_thread->warp) +
                                 ", lane " + std::to_string(current_thread->lane) + ")");
}

std::string mask_hex(unsigned mask) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", mask);
  return buf;
}

// Strict mode, at a warp operation: the mask names this lane and live lanes only, and agrees
// with the mask of the lanes already waiting there.
void check_warp_mask(const WarpState& w, unsigned mask) {
  const unsigned lane_bit = 1u << current_thread->lane;
  if (!(mask & lane_bit)) strict_error("warp operation with mask " + mask_hex(mask) + ", which does not name the calling lane");
  if (mask & ~w.live_mask) {
    strict_error("warp operation with mask " + mask_hex(mask) + ", which names lanes " + mask_hex(mask & ~w.live_mask) +
                 " that do not exist or have exited");
  }
  if (w.barrier.arrived > 0 && w.pending_mask != mask) {
    strict_error("warp operation with mask " + mask_hex(mask) + " while other lanes wait with mask " + mask_hex(w.pending_mask));
  }
}

}  // namespace

void register_device_allocation(const void* base, size_t bytes) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.allocations[reinterpret_cast<uintptr_t>(base)] = bytes;
}

void unregister_device_allocation(const void* base) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.allocations.erase(reinterpret_cast<uintptr_t>(base));
}

void check_device_pointer(const void* p, const char* kernel, size_t argument, const char* field) {
  if (p == nullptr) return;
  const uintptr_t at = reinterpret_cast<uintptr_t>(p);
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.allocations.upper_bound(at);
    if (it != r.allocations.begin()) {
      --it;
      // An empty allocation still owns its base address.
      if (at - it->first < (it->second > 0 ? it->second : 1)) return;
    }
  }
  throw Error(code::kKernel, std::string("cuda-sim: kernel ") + kernel + " was passed " + hex(p) + " as argument " +
                                 std::to_string(argument) + (field ? std::string(" (") + field + ")" : std::string()) +
                                 ", which is not in any cuda-sim device allocation (a host pointer, or freed memory)");
}

void poison_static_shared(void* array, size_t bytes) {
  BlockContext& b = *current_block;
  for (int i = 0; i < b.poisoned_count; ++i) {
    if (b.poisoned_statics[i] == array) return;
  }
  if (b.poisoned_count == static_cast<int>(sizeof(b.poisoned_statics) / sizeof(b.poisoned_statics[0]))) {
    throw Error(code::kKernel, "cuda-sim: more than 16 static shared arrays in one kernel");
  }
  b.poisoned_statics[b.poisoned_count++] = array;
  std::memset(array, 0xFF, bytes);
}

// The shared-memory race detector. Per element: the last writer, with the block's barrier
// generation and its warp's barrier generation at the write, and the readers since, per warp
// with the lanes that read in the warp's latest generation. Two accesses by different threads
// are ordered when a __syncthreads opened between them (the block generation moved on), or,
// for two lanes of one warp, when a warp operation did (the warp generation moved on: every
// shuffle and __syncwarp is a warp barrier here). Anything else is a race.
struct RaceDetector {
  struct WarpReads {
    unsigned warp;
    uint64_t generation;  // the warp's barrier generation of these reads
    unsigned lanes;
  };
  struct Cell {
    int writer = -1;  // linear thread index, or none
    uint64_t write_block_gen = 0;
    uint64_t write_warp_gen = 0;
    uint64_t reads_block_gen = 0;
    std::vector<WarpReads> reads;  // in block generation reads_block_gen
  };
  std::unordered_map<const void*, Cell> cells;  // this block's
  const char* kernel = "";
};

namespace {

unsigned linear_thread() {
  const BlockContext& b = *current_block;
  const uint3 t = current_thread->thread_idx;
  return t.x + t.y * b.block_dim.x + t.z * b.block_dim.x * b.block_dim.y;
}

[[noreturn]] void race_error(const char* kind, const char* array, const void* p, const void* base, size_t element_bytes,
                             unsigned earlier, const char* earlier_did, unsigned now, const char* now_does) {
  const BlockContext& b = *current_block;
  const size_t index = static_cast<size_t>(static_cast<const char*>(p) - static_cast<const char*>(base)) / element_bytes;
  throw Error(code::kKernel, std::string("cuda-sim (CUOPTIM_SIM_RACECHECK): ") + kind + " race on " + array + "[" + std::to_string(index) +
                                 "] in " + b.race->kernel + ", block " + dims(dim3(b.block_idx.x, b.block_idx.y, b.block_idx.z)) +
                                 ": thread " + std::to_string(earlier) + " " + earlier_did + " it and thread " + std::to_string(now) + " " +
                                 now_does + " it with no barrier between them");
}

}  // namespace

void race_access(const void* p, const void* base, size_t element_bytes, const char* array, bool write) {
  BlockContext& b = *current_block;
  RaceDetector::Cell& cell = b.race->cells[p];
  const unsigned me = linear_thread();
  const unsigned warp = current_thread->warp;
  const unsigned lane_bit = 1u << current_thread->lane;
  const uint64_t block_gen = b.barrier.generation;
  const uint64_t warp_gen = b.warps[warp].barrier.generation;
  if (cell.writer >= 0) {
    const unsigned writer = static_cast<unsigned>(cell.writer);
    const bool ordered = writer == me || cell.write_block_gen != block_gen || (writer / 32 == warp && cell.write_warp_gen != warp_gen);
    if (!ordered) race_error(write ? "write-after-write" : "read-after-write", array, p, base, element_bytes, writer, "wrote", me, write ? "writes" : "reads");
  }
  if (cell.reads_block_gen != block_gen) {
    cell.reads.clear();
    cell.reads_block_gen = block_gen;
  }
  if (write) {
    for (const RaceDetector::WarpReads& r : cell.reads) {
      const unsigned others = r.warp != warp ? r.lanes : r.generation == warp_gen ? r.lanes & ~lane_bit : 0u;
      if (others) race_error("write-after-read", array, p, base, element_bytes, r.warp * 32 + static_cast<unsigned>(__builtin_ctz(others)), "read", me, "writes");
    }
    cell.reads.clear();
    cell.writer = static_cast<int>(me);
    cell.write_block_gen = block_gen;
    cell.write_warp_gen = warp_gen;
    return;
  }
  for (RaceDetector::WarpReads& r : cell.reads) {
    if (r.warp != warp) continue;
    // Reads of an earlier warp generation are ordered before this warp's later writes; other
    // warps' writes see that some lane of this warp read, which the newer lanes still say.
    if (r.generation != warp_gen) {
      r.generation = warp_gen;
      r.lanes = 0;
    }
    r.lanes |= lane_bit;
    return;
  }
  cell.reads.push_back({warp, warp_gen, lane_bit});
}

void sync_block() {
  BlockContext& b = *current_block;
  const int exited = static_cast<int>(b.block_dim.x * b.block_dim.y * b.block_dim.z) - b.live_threads;
  if (b.strict && exited > 0) strict_error("__syncthreads after " + std::to_string(exited) + " threads of the block exited");
  arrive_and_wait(b.barrier, b.live_threads);
}

void sync_warp(unsigned mask) {
  WarpState& w = current_block->warps[current_thread->warp];
  if (current_block->strict) {
    check_warp_mask(w, mask);
    if (w.barrier.arrived == 0) w.pending_mask = mask;
  }
  arrive_and_wait(w.barrier, __builtin_popcount(mask & w.live_mask));
}

uint64_t warp_exchange(unsigned mask, uint64_t value, unsigned src_lane, bool* src_valid) {
  WarpState& w = current_block->warps[current_thread->warp];
  w.mailbox[current_thread->lane] = value;
  sync_warp(mask);  // every participant has posted
  *src_valid = src_lane < 32 && ((mask & w.live_mask) >> src_lane & 1u);
  const uint64_t got = *src_valid ? w.mailbox[src_lane] : value;
  sync_warp(mask);  // every participant has read before the mailbox is reused
  return got;
}

void run_grid(dim3 grid, dim3 block, size_t smem_bytes, const char* kernel_name, const std::function<void()>& body) {
  check_launch(grid, block, smem_bytes, kernel_name);
  if (current_block) throw Error(code::kKernel, "cuda-sim: a kernel launched a kernel (dynamic parallelism is not simulated)");
  const int threads = static_cast<int>(block.x * block.y * block.z);
  std::vector<Fiber> fibers(static_cast<size_t>(threads));
  std::vector<unsigned char> smem(smem_bytes);
  BlockContext ctx;
  ctx.block_dim = block;
  ctx.grid_dim = grid;
  ctx.dynamic_smem = smem.empty() ? nullptr : smem.data();
  ctx.dynamic_smem_bytes = smem_bytes;
  scheduler.body = &body;
  current_block = &ctx;
  struct Reset {
    ~Reset() {
      current_block = nullptr;
      scheduler.body = nullptr;
    }
  } reset;

  const Orders orders = read_orders();
  RaceDetector detector;
  detector.kernel = kernel_name;
  uint64_t random_state = orders.seed;
  const int64_t blocks = static_cast<int64_t>(grid.x) * grid.y * grid.z;
  std::vector<int> block_order;
  if (orders.block == BlockOrder::Random) {
    block_order.resize(static_cast<size_t>(blocks));
    std::iota(block_order.begin(), block_order.end(), 0);
    shuffle(block_order, random_state);
  }
  std::vector<int> thread_order(static_cast<size_t>(threads));
  std::iota(thread_order.begin(), thread_order.end(), 0);
  for (int64_t k = 0; k < blocks; ++k) {
    const int64_t linear = orders.block == BlockOrder::Forward ? k : orders.block == BlockOrder::Reverse ? blocks - 1 - k : block_order[static_cast<size_t>(k)];
    const unsigned bx = static_cast<unsigned>(linear % grid.x);
    const unsigned by = static_cast<unsigned>(linear / grid.x % grid.y);
    const unsigned bz = static_cast<unsigned>(linear / (static_cast<int64_t>(grid.x) * grid.y));
    ctx.block_idx = {bx, by, bz};
    ctx.barrier = Barrier();
    ctx.live_threads = threads;
    ctx.strict = orders.strict;
    ctx.race = orders.racecheck ? &detector : nullptr;
    detector.cells.clear();
    ctx.poisoned_count = 0;
    for (auto& w : ctx.warps) w = WarpState();
    if (!smem.empty()) std::memset(smem.data(), 0xFF, smem.size());
    for (int t = 0; t < threads; ++t) {
      Fiber& f = fibers[static_cast<size_t>(t)];
      const unsigned tt = static_cast<unsigned>(t);
      f.thread = {{tt % block.x, (tt / block.x) % block.y, tt / (block.x * block.y)}, tt % 32, tt / 32, &f};
      f.state = FiberState::Ready;
      f.waiting_on = nullptr;
      f.error = nullptr;
      f.stack = scheduler.stack(static_cast<size_t>(t));
      ctx.warps[tt / 32].live_mask |= 1u << (tt % 32);
      prepare_fiber(f);
    }
    int unfinished = threads;
    // Runs fiber t until it finishes or waits; false when it cannot run now.
    const auto run = [&](int t) -> bool {
      Fiber& f = fibers[static_cast<size_t>(t)];
      if (f.state == FiberState::Done) return false;
      if (f.state == FiberState::Waiting) {
        if (f.waiting_on->generation == f.waiting_generation) return false;
        f.state = FiberState::Ready;
        f.waiting_on = nullptr;
      }
      switch_to_fiber(f);
      if (f.state == FiberState::Done) {
        --unfinished;
        if (f.error) std::rethrow_exception(f.error);
        WarpState& w = ctx.warps[f.thread.warp];
        if (ctx.strict) {
          const auto exit_error = [&](const std::string& what) {
            throw Error(code::kKernel, std::string("cuda-sim (CUOPTIM_SIM_STRICT): in ") + kernel_name + ", thread " +
                                           std::to_string(t) + " of block " + dims(dim3(bx, by, bz)) + " exited while " + what);
          };
          if (ctx.barrier.arrived > 0) exit_error(std::to_string(ctx.barrier.arrived) + " threads wait at __syncthreads");
          if (w.barrier.arrived > 0 && (w.pending_mask >> f.thread.lane & 1u)) {
            exit_error("lanes of its warp wait for it at a warp operation with mask " + mask_hex(w.pending_mask));
          }
        }
        w.live_mask &= ~(1u << f.thread.lane);
        --ctx.live_threads;
        release_if_complete(ctx.barrier, ctx.live_threads);
        release_if_complete(w.barrier, __builtin_popcount(w.live_mask));
      }
      return true;
    };
    while (unfinished > 0) {
      bool progressed = false;
      switch (orders.thread) {
        case ThreadOrder::Forward:
          for (int t = 0; t < threads; ++t) progressed |= run(t);
          break;
        case ThreadOrder::Reverse:
          for (int t = threads - 1; t >= 0; --t) progressed |= run(t);
          break;
        case ThreadOrder::Random:
          shuffle(thread_order, random_state);
          for (int t : thread_order) progressed |= run(t);
          break;
        case ThreadOrder::GreedyWarp:
          for (int first = 0; first < threads; first += 32) {
            for (bool again = true; again;) {
              again = false;
              for (int t = first; t < threads && t < first + 32; ++t) again |= run(t);
              progressed |= again;
            }
          }
          break;
      }
      if (!progressed) {
        throw Error(code::kKernel, std::string("cuda-sim: deadlock in ") + kernel_name + ": " + std::to_string(unfinished) +
                                       " threads of block " + dims(dim3(bx, by, bz)) +
                                       " wait at a barrier the other threads never reach");
      }
    }
  }
}

}  // namespace sim
}  // namespace cuoptim

unsigned __ballot_sync(unsigned mask, int predicate) {
  using namespace cuoptim::sim;
  WarpState& w = current_block->warps[current_thread->warp];
  w.mailbox[current_thread->lane] = predicate ? 1 : 0;
  sync_warp(mask);
  unsigned ballot = 0;
  for (unsigned lane = 0; lane < 32; ++lane) {
    if (((mask & w.live_mask) >> lane & 1u) && w.mailbox[lane]) ballot |= 1u << lane;
  }
  sync_warp(mask);
  return ballot;
}
