// src-native/distributed/world.cc — World: joining and leaving the job, and the byte collectives
// (chunked to MPI's int counts, polled against the timeout).
#include "world.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "mpi_abi.h"
#include "../../kernels/errors.h"

namespace cuoptim::dist {

namespace {

const MpiLib& lib() { return load_mpi(); }

// Moves per-rank blocks of `block` bytes with one MPI call, or, when a block is larger than a
// chunk (MPI counts are ints), a chunk of every block per call through staging buffers.
// `spread_in`: the send side is per-rank blocks too (all-to-all); `receives`: this rank gets
// every rank's block (all but a gather's other ranks). `start(send, recv, len)` starts the MPI
// call for one chunk and returns its request; `wait` waits for it.
template <typename Start, typename Wait>
void move_blocks(const char* in, char* out, size_t block, size_t ranks, size_t chunk_limit, bool spread_in, bool receives, Start&& start, Wait&& wait) {
  const size_t chunk = std::min(chunk_limit, block);
  const bool stage = block > chunk;
  std::vector<char> staged_in(stage && spread_in ? ranks * chunk : 0), staged_out(stage && receives ? ranks * chunk : 0);
  for (size_t off = 0; off < block; off += chunk) {
    const size_t len = std::min(chunk, block - off);
    for (size_t r = 0; r < ranks && !staged_in.empty(); ++r) std::memcpy(staged_in.data() + r * len, in + r * block + off, len);
    const char* src = staged_in.empty() ? in + off : staged_in.data();
    char* dst = !receives ? nullptr : staged_out.empty() ? out : staged_out.data();
    wait(start(src, dst, static_cast<int>(len)));
    for (size_t r = 0; r < ranks && !staged_out.empty(); ++r) std::memcpy(out + r * block + off, staged_out.data() + r * len, len);
  }
}

}  // namespace

World& World::get() {
  static World* world = new World();  // never destroyed: exit hooks may run after static teardown
  return *world;
}

void World::check(int rc, const char* call) {
  if (rc == kMpiSuccess) return;
  char text[kMpiMaxString] = {0};
  int len = 0;
  if (lib().Error_string(rc, text, &len) != kMpiSuccess) std::snprintf(text, sizeof text, "error %d", rc);
  throw Error(code::kDistributed, std::string(call) + " failed on rank " + std::to_string(info_.rank) + ": " + text);
}

WorldInfo World::init(double timeout_seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ == State::Ready) throw Error(code::kDistributed, "init: already initialized (rank " + std::to_string(info_.rank) + " of " + std::to_string(info_.size) + "); call it once per process");
  if (state_ == State::Finalized) throw Error(code::kDistributed, "init: finalize() already ran in this process, and MPI cannot start again");
  const char* launched = std::getenv("OMPI_COMM_WORLD_SIZE");
  WorldInfo info;
  if (!launched || !*launched) {
    info.transport = "local";
  } else {
    const MpiLib& m = lib();
    int done = 0;
    check(m.Initialized(&done), "MPI_Initialized");
    if (!done) {
      int provided = 0;
      check(m.Init_thread(nullptr, nullptr, kMpiThreadSerialized, &provided), "MPI_Init_thread");
      if (provided < kMpiThreadSerialized) {
        throw Error(code::kDistributed, "init: this MPI library cannot serve calls from several threads (MPI_THREAD_SERIALIZED), which worker threads need");
      }
    }
    check(m.Comm_set_errhandler(m.comm_world, m.errors_return), "MPI_Comm_set_errhandler");
    check(m.Comm_rank(m.comm_world, &info.rank), "MPI_Comm_rank");
    check(m.Comm_size(m.comm_world, &info.size), "MPI_Comm_size");
    char version[kMpiMaxString] = {0};
    int len = 0;
    check(m.Get_library_version(version, &len), "MPI_Get_library_version");
    info.library = std::string(version, strnlen(version, sizeof version));
    info.library = info.library.substr(0, info.library.find_first_of(",\n"));
    info.transport = "mpi";
  }
  timeout_seconds_ = timeout_seconds;
  info_ = info;
  state_ = State::Ready;
  return info_;
}

const char* World::state_name() const {
  switch (state_.load()) {
    case State::Uninitialized: return "uninitialized";
    case State::Ready: return "ready";
    case State::Finalized: return "finalized";
  }
  return "?";
}

void World::require_ready(const std::string& what) const {
  if (state_ == State::Uninitialized) throw Error(code::kDistributed, what + ": call distributed.init() first");
  if (state_ == State::Finalized) throw Error(code::kDistributed, what + ": finalize() already ran in this process");
}

void World::finalize() {
  std::lock_guard<std::mutex> lock(mutex_);
  require_ready("finalize");
  state_ = State::Finalized;
  if (mpi()) check(lib().Finalize(), "MPI_Finalize");
}

void World::abort(int exit_code) {
  // No lock: the job must end even while another thread is blocked inside a collective.
  if (state_ != State::Ready) return;
  if (mpi()) lib().Abort(lib().comm_world, exit_code);
}

void World::at_exit(int exit_code) {
  if (state_ != State::Ready) return;
  if (!mpi()) {  // a world of one has no other rank to tell
    state_ = State::Finalized;
    return;
  }
  if (exit_code != 0) {
    std::fprintf(stderr, "cuoptim/distributed: rank %d of %d is exiting with code %d; ending the job\n", info_.rank, info_.size, exit_code);
    abort(exit_code);
    return;
  }
  finalize();
}

size_t World::chunk_bytes() const {
  // MPI counts are ints; CUOPTIM_DIST_CHUNK_BYTES makes chunks small enough for tests to reach
  // the chunked paths.
  static const size_t chunk = [] {
    const char* v = std::getenv("CUOPTIM_DIST_CHUNK_BYTES");
    const long long n = v ? std::atoll(v) : 0;
    return n > 0 ? static_cast<size_t>(n) : size_t{1} << 30;
  }();
  return chunk;
}

void World::wait(void* request, const char* what) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(timeout_seconds_);
  // Poll with yields for a while (a collective usually completes within microseconds to
  // milliseconds, and on an oversubscribed machine the other ranks need the core to progress),
  // then with short sleeps, so a rank left waiting long costs no CPU.
  const auto patient = start + std::chrono::milliseconds(200);
  for (;;) {
    int done = 0;
    check(lib().Test(&request, &done, nullptr), "MPI_Test");
    if (done) return;
    const auto now = std::chrono::steady_clock::now();
    if (now < patient) {
      std::this_thread::yield();
      continue;
    }
    if (now > deadline) {
      std::fprintf(stderr,
                   "cuoptim/distributed: rank %d of %d waited %.0f s in %s for the other ranks (the timeout given to init()); "
                   "a rank has stopped calling the collectives in the same order, or died. Ending the job.\n",
                   info_.rank, info_.size, timeout_seconds_, what);
      std::fflush(stderr);
      lib().Abort(lib().comm_world, 124);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

void World::barrier(const char* what) {
  if (!mpi()) return;
  void* request = nullptr;
  check(lib().Ibarrier(lib().comm_world, &request), "MPI_Ibarrier");
  wait(request, what);
}

void World::broadcast(void* buf, size_t bytes, int root, const char* what) {
  if (!mpi()) return;
  auto* p = static_cast<char*>(buf);
  for (size_t off = 0; off < bytes; off += chunk_bytes()) {
    const int n = static_cast<int>(std::min(chunk_bytes(), bytes - off));
    void* request = nullptr;
    check(lib().Ibcast(p + off, n, lib().byte, root, lib().comm_world, &request), "MPI_Ibcast");
    wait(request, what);
  }
}

void World::all_gather(const void* send, size_t bytes, void* recv, const char* what) {
  if (bytes == 0) return;
  if (!mpi()) {
    std::memmove(recv, send, bytes);
    return;
  }
  move_blocks(
      static_cast<const char*>(send), static_cast<char*>(recv), bytes, info_.size, chunk_bytes(), false, true,
      [&](const char* src, char* dst, int len) {
        void* request = nullptr;
        check(lib().Iallgather(src, len, lib().byte, dst, len, lib().byte, lib().comm_world, &request), "MPI_Iallgather");
        return request;
      },
      [&](void* request) { wait(request, what); });
}

void World::all_to_all(const void* send, size_t block, void* recv, const char* what) {
  if (block == 0) return;
  if (!mpi()) {
    std::memmove(recv, send, block);
    return;
  }
  move_blocks(
      static_cast<const char*>(send), static_cast<char*>(recv), block, info_.size, chunk_bytes(), true, true,
      [&](const char* src, char* dst, int len) {
        void* request = nullptr;
        check(lib().Ialltoall(src, len, lib().byte, dst, len, lib().byte, lib().comm_world, &request), "MPI_Ialltoall");
        return request;
      },
      [&](void* request) { wait(request, what); });
}

void World::gather(const void* send, size_t bytes, void* recv, int root, const char* what) {
  if (bytes == 0) return;
  if (!mpi()) {
    std::memmove(recv, send, bytes);
    return;
  }
  move_blocks(
      static_cast<const char*>(send), static_cast<char*>(recv), bytes, info_.size, chunk_bytes(), false, info_.rank == root,
      [&](const char* src, char* dst, int len) {
        void* request = nullptr;
        check(lib().Igather(src, len, lib().byte, dst, len, lib().byte, root, lib().comm_world, &request), "MPI_Igather");
        return request;
      },
      [&](void* request) { wait(request, what); });
}

}  // namespace cuoptim::dist
