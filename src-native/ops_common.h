// src-native/ops_common.h — shared validation for multi-tensor optimizer ops.
//
// An op receives parallel JS arrays of native tensors (params, grads, state lists). Before any
// backend is called, read_lists() checks that each list has one live float32 tensor per param,
// (or, where the list allows it, 16-bit) on the param's device, with the param's shape, and that no tensor appears twice anywhere
// (a param listed twice would be updated twice, racing with itself).
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "backend.h"
#include "tensor.h"

namespace cuoptim {

struct ListArg {
  const char* name;
  Napi::Value value;
  int slot;                  // index of this list in TensorLists::ptrs
  DType dtype = DType::F32;
  int64_t per_element = 0;   // 0: the param's shape; n > 0: ceil(param numel / n) elements (one per block)
  bool half_ok = false;      // also bfloat16 / float16 (element-wise steps; ops.cc checks the mix)
};

struct ReadLists {
  Backend* backend = nullptr;
  TensorLists lists;
  std::vector<Tensor*> params;
  std::vector<std::array<DType, kMaxTensorLists>> dtypes;  // dtypes[tensor][slot]
};

// lists[0] must be the params. `depth` is the number of slots; slots no ListArg names stay null.
// An empty params list is allowed (nothing to do).
ReadLists read_lists(const std::vector<ListArg>& lists, int depth);

// A step's 16-bit options (an optional last argument {stochasticRounding, seed, tensorIds}).
struct StorageOptions {
  bool stochastic = false;
  uint32_t seed = 0;
  std::vector<uint32_t> ids;
};
StorageOptions read_storage(const Napi::CallbackInfo& info, size_t arg, size_t n);

// Checks each param's mix of dtypes and fills the lists' formats and stochastic keys
// (kernels/math/half.cuh), for the element-wise and blockwise steps: slot 0 the params, slot 1
// the grads (any float dtype), slots [state_begin, state_end) float state lists (all float32 or
// all of the param's dtype), `shadow` the masters as read — with masters the param slot then
// holds the master and the shadow slot the 16-bit param. Does nothing when all is float32.
void set_storage_formats(ReadLists& r, int state_begin, int state_end, int shadow, bool masters, const StorageOptions& o,
                         const std::vector<double>& steps);

// Per-tensor step counts (whole numbers >= 1), one per param.
std::vector<double> read_steps(const Napi::Value& v, size_t count, const std::string& name);
// One boolean per param.
std::vector<bool> read_flags(const Napi::Value& v, size_t count, const std::string& name);

}  // namespace cuoptim
