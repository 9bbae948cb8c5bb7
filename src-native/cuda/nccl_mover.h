// src-native/cuda/nccl_mover.h — cuoptim/distributed's byte moves between cuda tensors, over NCCL.
#pragma once

#include "../distributed/collectives.h"

namespace cuoptim {
namespace cuda {

// The NCCL communicator of this job, made on first use: rank 0 makes the unique id, MPI
// broadcasts it, every rank joins with its device (called by every rank in the same collective,
// which the ranks have already agreed on). NCCL is loaded at run time (distributed/nccl_abi.h).
dist::Mover& nccl_mover(Backend& cuda_backend, dist::World& world);

}  // namespace cuda
}  // namespace cuoptim
