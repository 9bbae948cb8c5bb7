// src-native/distributed/collectives.h — the collectives on host-memory tensors (cpu, cuda-sim), built
// on World's byte calls.
//
// Reductions are done here, not by MPI: every rank's contribution is moved to the rank that
// reduces a block (all-to-all or gather), which folds them in rank order (rank 0 first), so a
// result depends only on the inputs, never on the MPI library's algorithm or the world's layout,
// and allReduce, reduceScatter and reduce give the same bits for the same element. 16-bit values
// are widened to float32, folded there and rounded to nearest-even once. avg is the float32 sum
// divided by the world size. Traffic is the ring algorithm's: each rank sends and receives
// (N-1)/N of the tensor for reduceScatter, twice that for allReduce.
#pragma once

#include <cstdint>

#include "../tensor.h"

namespace cuoptim::dist {

class World;

enum class ReduceOp : uint8_t { Sum = 0, Avg, Max };

bool parse_reduce_op(const std::string& name, ReduceOp* out);
const char* reduce_op_name(ReduceOp op);

void all_reduce(World& w, void* data, int64_t numel, DType dtype, ReduceOp op, const char* what);
// input: world size * count elements (block r for rank r); output: count elements.
void reduce_scatter(World& w, const void* input, void* output, int64_t count, DType dtype, ReduceOp op, const char* what);
// The result lands in `data` on root only.
void reduce(World& w, void* data, int64_t numel, DType dtype, ReduceOp op, int root, const char* what);

}  // namespace cuoptim::dist
