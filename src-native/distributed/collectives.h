// src-native/distributed/collectives.h — the collectives on cuoptim tensors, over any backend's
// memory: the bytes travel through a Mover (World, i.e. MPI, for host memory: cpu and cuda-sim;
// NCCL for cuda) and the reduction runs on the tensors' backend (Backend::fold_ranks, one source
// in kernels/math/fold.cuh).
//
// Reductions are done here, not by MPI or NCCL: every rank's block travels to the rank that
// reduces it (all-to-all, or a gather), which folds the ranks' values in rank order (rank 0
// first), so a result depends only on the inputs, never on the library's algorithm or the
// world's layout, and allReduce, reduceScatter and reduce give the same bits for the same
// element. Traffic is the ring algorithm's: each rank sends and receives (N-1)/N of the tensor
// for reduceScatter, twice that for allReduce.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "../backend.h"
#include "../tensor.h"

namespace cuoptim::dist {

class World;

enum class ReduceOp : uint8_t { Sum = 0, Avg, Max };

bool parse_reduce_op(const std::string& name, ReduceOp* out);
const char* reduce_op_name(ReduceOp op);

// Moves bytes between the ranks, in one backend's memory. Sizes are per rank.
class Mover {
 public:
  virtual ~Mover() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual void all_to_all(const void* send, size_t block, void* recv, const char* what) = 0;  // send, recv: size * block
  virtual void all_gather(const void* send, size_t bytes, void* recv, const char* what) = 0;  // recv: size * bytes
  virtual void gather(const void* send, size_t bytes, void* recv, int root, const char* what) = 0;  // recv (root): size * bytes
  virtual void broadcast(void* buf, size_t bytes, int root, const char* what) = 0;
};

// The mover for tensors of this backend: the world itself for host memory, NCCL for cuda
// (loaded and set up on first use; an ERR_DISTRIBUTED naming what to install when missing).
Mover& mover_for(Backend& backend, World& world);
// Throws unless mover_for(backend) can work here (NCCL loadable for cuda): checked with a call's
// arguments, before the ranks compare them, so a rank that lacks NCCL is every rank's error.
void check_mover(Backend& backend, World& world);

// A collective on tensors of `backend`; `what` names the user's call in messages.
struct Collective {
  Backend& backend;
  Mover& mover;
  const char* what;
};

void all_reduce(const Collective& c, void* data, int64_t numel, DType dtype, ReduceOp op);
// input: world size * count elements (block r for rank r); output: count elements.
void reduce_scatter(const Collective& c, const void* input, void* output, int64_t count, DType dtype, ReduceOp op);
// The result lands in `data` on root only.
void reduce(const Collective& c, void* data, int64_t numel, DType dtype, ReduceOp op, int root);
void all_gather(const Collective& c, const void* input, size_t bytes, void* output);
void broadcast(const Collective& c, void* data, size_t bytes, int root);

}  // namespace cuoptim::dist
