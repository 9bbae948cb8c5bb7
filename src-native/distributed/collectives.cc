// src-native/distributed/collectives.cc — rank-order reductions over any backend's memory (see
// collectives.h). Scratch buffers come from the tensors' backend; on cuda every copy, transfer
// and fold is enqueued on the backend's one stream, in order.
#include "collectives.h"

#include "nccl_abi.h"
#include "world.h"
#include "../../kernels/errors.h"
#include "../../kernels/math/fold.cuh"
#ifdef CUOPTIM_WITH_CUDA
#include "../cuda/nccl_mover.h"
#endif

namespace cuoptim::dist {

namespace {

// A scratch buffer on a backend, freed when it goes out of scope.
class Scratch {
 public:
  Scratch(Backend& backend, size_t bytes) : backend_(backend), bytes_(bytes), data_(bytes ? backend.allocate(bytes) : nullptr) {}
  ~Scratch() {
    if (data_) backend_.deallocate(data_, bytes_);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  char* data() const { return static_cast<char*>(data_); }

 private:
  Backend& backend_;
  size_t bytes_;
  void* data_;
};

void fold(const Collective& c, const void* blocks, void* out, int64_t count, DType dtype, ReduceOp op) {
  FoldArgs a;
  a.blocks = blocks;
  a.out = out;
  a.ranks = c.mover.size();
  a.count = count;
  a.type = dtype == DType::U8 ? math::kFoldBytes : storage_type(dtype);
  a.op = op == ReduceOp::Max ? math::kFoldMax : op == ReduceOp::Avg ? math::kFoldAvg : math::kFoldSum;
  c.backend.fold_ranks(a);
}

}  // namespace

Mover& mover_for(Backend& backend, World& world) {
  if (backend.kind() != DeviceKind::Cuda || world.size() == 1) return world;  // host memory, or nothing to move
#ifdef CUOPTIM_WITH_CUDA
  return cuda::nccl_mover(backend, world);
#else
  throw Error(code::kInternal, "cuda tensors in a build without the cuda backend");
#endif
}

void check_mover(Backend& backend, World& world) {
  if (backend.kind() == DeviceKind::Cuda && world.size() > 1) load_nccl();
}

bool parse_reduce_op(const std::string& name, ReduceOp* out) {
  if (name == "sum") *out = ReduceOp::Sum;
  else if (name == "avg") *out = ReduceOp::Avg;
  else if (name == "max") *out = ReduceOp::Max;
  else return false;
  return true;
}

const char* reduce_op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return "sum";
    case ReduceOp::Avg: return "avg";
    case ReduceOp::Max: return "max";
  }
  return "?";
}

// One contribution (a world of one): sum, avg (x / 1) and max are x itself, so nothing moves.
void all_reduce(const Collective& c, void* data, int64_t numel, DType dtype, ReduceOp op) {
  const int n = c.mover.size();
  if (n == 1 || numel == 0) return;
  const size_t es = dtype_size(dtype);
  const size_t bytes = static_cast<size_t>(numel) * es;
  const int64_t seg = (numel + n - 1) / n;
  const size_t block = static_cast<size_t>(seg) * es;
  // Block r: elements [r * seg, (r + 1) * seg) for rank r to fold, the last ones zero-padded.
  Scratch send(c.backend, block * n), recv(c.backend, block * n), mine(c.backend, block);
  c.backend.copy(send.data(), data, bytes);
  if (block * n > bytes) c.backend.fill_zero(send.data() + bytes, block * n - bytes);
  c.mover.all_to_all(send.data(), block, recv.data(), c.what);
  fold(c, recv.data(), mine.data(), seg, dtype, op);
  c.mover.all_gather(mine.data(), block, send.data(), c.what);
  c.backend.copy(data, send.data(), bytes);
}

void reduce_scatter(const Collective& c, const void* input, void* output, int64_t count, DType dtype, ReduceOp op) {
  const int n = c.mover.size();
  const size_t block = static_cast<size_t>(count) * dtype_size(dtype);
  if (block == 0) return;
  if (n == 1) {
    c.backend.copy(output, input, block);
    return;
  }
  Scratch recv(c.backend, block * n);
  c.mover.all_to_all(input, block, recv.data(), c.what);
  fold(c, recv.data(), output, count, dtype, op);
}

void reduce(const Collective& c, void* data, int64_t numel, DType dtype, ReduceOp op, int root) {
  const int n = c.mover.size();
  const size_t bytes = static_cast<size_t>(numel) * dtype_size(dtype);
  if (bytes == 0 || n == 1) return;
  const bool is_root = c.mover.rank() == root;
  Scratch recv(c.backend, is_root ? bytes * n : 0);
  c.mover.gather(data, bytes, recv.data(), root, c.what);
  if (is_root) fold(c, recv.data(), data, numel, dtype, op);
}

void all_gather(const Collective& c, const void* input, size_t bytes, void* output) {
  if (bytes == 0) return;
  if (c.mover.size() == 1) {
    c.backend.copy(output, input, bytes);
    return;
  }
  c.mover.all_gather(input, bytes, output, c.what);
}

void broadcast(const Collective& c, void* data, size_t bytes, int root) {
  if (bytes == 0 || c.mover.size() == 1) return;
  c.mover.broadcast(data, bytes, root, c.what);
}

}  // namespace cuoptim::dist
