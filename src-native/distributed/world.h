// src-native/distributed/world.h — this process's place in a distributed job, and the byte-moving
// calls the collectives are built on (collectives.h).
//
// One World per process: worker threads share it, and every call holds its lock for its whole
// length, so calls from several threads are serialised (MPI_THREAD_SERIALIZED). Under mpirun the
// bytes travel through Open MPI (mpi_abi.h); a process started without a launcher is a world of
// one, where the same calls are local copies. MPI calls are non-blocking ones polled against the
// world's timeout: a rank that never arrives ends the job (MPI_Abort, naming the call and this
// rank) instead of hanging it.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>

#include "collectives.h"

namespace cuoptim::dist {

struct WorldInfo {
  int rank = 0;
  int size = 1;
  std::string transport;  // "mpi" or "local"
  std::string library;    // the MPI library's version string (mpi) or ""
};

class World final : public Mover {
 public:
  static World& get();

  // Joins the job the launcher started (Open MPI's OMPI_COMM_WORLD_SIZE), or makes a world of one.
  WorldInfo init(double timeout_seconds);
  // MPI_Finalize; afterwards every call but state_name() is refused.
  void finalize();
  // Ends every rank of the job at once (MPI_Abort) with this exit code; nothing in a local world.
  void abort(int exit_code);
  // At process exit: finalize after a clean exit, abort the job after a failed one.
  void at_exit(int exit_code);
  // "uninitialized", "ready" or "finalized" (the lock-free read every thread may make).
  const char* state_name() const;
  // ERR_DISTRIBUTED unless init() ran and finalize() did not; `what` names the call.
  void require_ready(const std::string& what) const;
  const WorldInfo& info() const { return info_; }
  std::mutex& mutex() { return mutex_; }

  // Blocking collectives over host bytes (the caller holds mutex()); `what` names the user's call
  // for the timeout message. Sizes are per rank; any size (MPI's int counts are chunked here).
  int rank() const override { return info_.rank; }
  int size() const override { return info_.size; }
  void barrier(const char* what);
  void broadcast(void* buf, size_t bytes, int root, const char* what) override;
  void all_gather(const void* send, size_t bytes, void* recv, const char* what) override;
  void all_to_all(const void* send, size_t block, void* recv, const char* what) override;
  void gather(const void* send, size_t bytes, void* recv, int root, const char* what) override;

 private:
  enum class State { Uninitialized, Ready, Finalized };
  World() = default;
  bool mpi() const { return info_.transport == "mpi"; }
  void wait(void* request, const char* what);
  void check(int rc, const char* call);
  size_t chunk_bytes() const;

  mutable std::mutex mutex_;
  std::atomic<State> state_{State::Uninitialized};
  WorldInfo info_;  // written once, by init(), before state_ becomes Ready
  double timeout_seconds_ = 1800;
};

}  // namespace cuoptim::dist
