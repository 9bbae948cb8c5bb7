// src-native/cpu/thread_pool.h — a fixed pool of worker threads for the cpu backend.
//
// parallel_for(count, fn) runs fn(0) ... fn(count-1), each exactly once, spread over the workers
// and the calling thread, and returns when all are done. Work items are claimed dynamically, so
// callers must make each item's result independent of which thread runs it (the cpu kernels do:
// every item owns a disjoint range of elements).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cuoptim {
namespace cpu {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads counts the caller: threads-1 workers are started
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  void parallel_for(int64_t count, const std::function<void(int64_t)>& fn);

 private:
  void worker_loop();
  void run_items();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  uint64_t generation_ = 0;
  int busy_workers_ = 0;
  bool stopping_ = false;

  const std::function<void(int64_t)>* job_ = nullptr;
  int64_t job_count_ = 0;
  std::atomic<int64_t> next_item_{0};
  std::exception_ptr error_;
};

// The process-wide pool: CUOPTIM_NUM_THREADS threads, else one per core. Any number of JS
// threads (worker_threads) may call these at once: parallel_for calls take turns on the pool
// (a pool runs one job at a time), a parallel_for made from inside a job runs inline, and
// set_pool_size waits for the running job before it replaces the pool.
void parallel_for(int64_t count, const std::function<void(int64_t)>& fn);
int pool_size();
// Replaces the pool with one of `threads` threads (>= 1).
void set_pool_size(int threads);
int default_pool_size();

}  // namespace cpu
}  // namespace cuoptim
