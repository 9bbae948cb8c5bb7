// src-native/cpu/thread_pool.cc — worker threads woken per parallel_for, items claimed atomically.
#include "thread_pool.h"

#include <cstdlib>
#include <memory>

namespace cuoptim {
namespace cpu {

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run_items() {
  for (;;) {
    const int64_t i = next_item_.fetch_add(1, std::memory_order_relaxed);
    if (i >= job_count_) return;
    try {
      (*job_)(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
  }
}

void ThreadPool::worker_loop() {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_ready_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
    }
    run_items();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--busy_workers_ == 0) work_done_.notify_one();
    }
  }
}

void ThreadPool::parallel_for(int64_t count, const std::function<void(int64_t)>& fn) {
  if (count <= 0) return;
  if (workers_.empty() || count == 1) {
    for (int64_t i = 0; i < count; ++i) fn(i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    job_count_ = count;
    next_item_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    busy_workers_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  work_ready_.notify_all();
  run_items();
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    work_done_.wait(lock, [&] { return busy_workers_ == 0; });
    job_ = nullptr;
    error = error_;
    error_ = nullptr;
  }
  if (error) std::rethrow_exception(error);
}

namespace {
// The pool and the lock that hands it to one caller at a time. Never destroyed: a worker_thread
// may still be inside a step while the process exits, and joining workers from a static
// destructor then would hang the exit.
struct SharedPool {
  std::mutex mutex;
  std::unique_ptr<ThreadPool> pool;
};
SharedPool& shared_pool() {
  static SharedPool* p = new SharedPool();
  return *p;
}
ThreadPool& pool_locked(SharedPool& p) {
  if (!p.pool) p.pool = std::make_unique<ThreadPool>(default_pool_size());
  return *p.pool;
}
thread_local bool inside_job = false;  // this thread is running items of a parallel_for
}  // namespace

int default_pool_size() {
  if (const char* env = std::getenv("CUOPTIM_NUM_THREADS")) {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && n >= 1 && n <= 1024) return static_cast<int>(n);
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

void parallel_for(int64_t count, const std::function<void(int64_t)>& fn) {
  if (inside_job) {  // nested: the pool is busy with the caller's own job
    for (int64_t i = 0; i < count; ++i) fn(i);
    return;
  }
  SharedPool& p = shared_pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  const std::function<void(int64_t)> marked = [&fn](int64_t i) {
    struct Mark {
      bool outer = inside_job;
      Mark() { inside_job = true; }
      ~Mark() { inside_job = outer; }
    } mark;
    fn(i);
  };
  pool_locked(p).parallel_for(count, marked);
}

int pool_size() {
  SharedPool& p = shared_pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  return pool_locked(p).size();
}

void set_pool_size(int threads) {
  SharedPool& p = shared_pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  p.pool.reset();
  p.pool = std::make_unique<ThreadPool>(threads);
}

}  // namespace cpu
}  // namespace cuoptim
