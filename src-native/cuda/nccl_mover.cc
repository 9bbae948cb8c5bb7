// src-native/cuda/nccl_mover.cc — NCCL as a dist::Mover for the cuda backend's memory: every
// transfer is enqueued on the backend's stream after the work already there, as its ops are, so
// a collective returns without waiting and reading a tensor waits for it (download, synchronize).
// Bytes travel as ncclInt8; all-to-all and gather are grouped point-to-point calls (NCCL >= 2.7).
#include "nccl_mover.h"

#include <mutex>
#include <string>

#include "cuda_backend.h"
#include "../distributed/nccl_abi.h"
#include "../distributed/world.h"
#include "../../kernels/errors.h"

namespace cuoptim {
namespace cuda {

namespace {

class NcclMover final : public dist::Mover {
 public:
  NcclMover(CudaBackend& backend, dist::World& world) : backend_(backend), world_(world), nccl_(dist::load_nccl()) {
    dist::NcclUniqueId id{};
    if (world.rank() == 0) check(nccl_.GetUniqueId(&id), "ncclGetUniqueId");
    world.broadcast(&id, sizeof id, 0, "setting up NCCL");
    backend_.stream_handle();  // selects the backend's device, as ncclCommInitRank requires
    check(nccl_.CommInitRank(&comm_, world.size(), id, world.rank()), "ncclCommInitRank");
  }

  int rank() const override { return world_.rank(); }
  int size() const override { return world_.size(); }

  void all_to_all(const void* send, size_t block, void* recv, const char*) override {
    void* stream = backend_.stream_handle();
    check(nccl_.GroupStart(), "ncclGroupStart");
    for (int r = 0; r < size(); ++r) {
      check(nccl_.Send(static_cast<const char*>(send) + r * block, block, dist::kNcclInt8, r, comm_, stream), "ncclSend");
      check(nccl_.Recv(static_cast<char*>(recv) + r * block, block, dist::kNcclInt8, r, comm_, stream), "ncclRecv");
    }
    check(nccl_.GroupEnd(), "ncclGroupEnd");
  }

  void all_gather(const void* send, size_t bytes, void* recv, const char*) override {
    check(nccl_.AllGather(send, recv, bytes, dist::kNcclInt8, comm_, backend_.stream_handle()), "ncclAllGather");
  }

  void gather(const void* send, size_t bytes, void* recv, int root, const char*) override {
    void* stream = backend_.stream_handle();
    check(nccl_.GroupStart(), "ncclGroupStart");
    if (rank() == root) {
      for (int r = 0; r < size(); ++r) check(nccl_.Recv(static_cast<char*>(recv) + r * bytes, bytes, dist::kNcclInt8, r, comm_, stream), "ncclRecv");
    }
    check(nccl_.Send(send, bytes, dist::kNcclInt8, root, comm_, stream), "ncclSend");
    check(nccl_.GroupEnd(), "ncclGroupEnd");
  }

  void broadcast(void* buf, size_t bytes, int root, const char*) override {
    check(nccl_.Broadcast(buf, buf, bytes, dist::kNcclInt8, root, comm_, backend_.stream_handle()), "ncclBroadcast");
  }

  CudaBackend& backend() const { return backend_; }

 private:
  void check(int result, const char* call) const {
    if (result == dist::kNcclSuccess) return;
    const char* text = nccl_.GetErrorString ? nccl_.GetErrorString(result) : nullptr;
    throw Error(code::kDistributed, std::string(call) + " failed on rank " + std::to_string(world_.rank()) + ": " + (text ? text : "error " + std::to_string(result)));
  }

  CudaBackend& backend_;
  dist::World& world_;
  const dist::NcclLib& nccl_;
  dist::NcclComm comm_ = nullptr;
};

}  // namespace

dist::Mover& nccl_mover(Backend& cuda_backend, dist::World& world) {
  // Made once, under the world's lock (every collective holds it); kept for the process, as
  // NCCL communicators live until the job ends.
  static NcclMover* mover = nullptr;
  if (!mover) mover = new NcclMover(static_cast<CudaBackend&>(cuda_backend), world);
  if (&mover->backend() != &cuda_backend) {
    throw Error(code::kDistributed, "collectives run on one CUDA device per process (this rank's first was " + mover->backend().name() +
                                        "; got a tensor on " + cuda_backend.name() + "): give each rank its own process and device");
  }
  return *mover;
}

}  // namespace cuda
}  // namespace cuoptim
