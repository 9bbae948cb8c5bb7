// src-native/ops_common.cc — tensor-list validation for the optimizer ops.
#include "ops_common.h"

#include <algorithm>

#include "binding_util.h"
#include "errors.h"
#include "tensor_wrap.h"

namespace cuoptim {

namespace {
std::string shape_string(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}
}  // namespace

ReadLists read_lists(const std::vector<ListArg>& specs, int depth) {
  ReadLists out;
  if (depth > kMaxTensorLists) throw Error(code::kInternal, "too many tensor lists");
  std::vector<Napi::Array> arrays;
  for (const ListArg& s : specs) arrays.push_back(read_array(s.value, s.name));
  const uint32_t n = arrays[0].Length();
  for (size_t l = 1; l < specs.size(); ++l) {
    if (arrays[l].Length() != n) {
      throw Error(code::kInvalidArgument, std::string(specs[l].name) + ": expected " + std::to_string(n) +
                                              " tensors (one per param), got " + std::to_string(arrays[l].Length()));
    }
  }
  out.lists.depth = depth;
  out.lists.ptrs.assign(n, {});
  out.lists.numel.resize(n);
  out.lists.scalars.resize(n);
  std::vector<const void*> seen;
  for (uint32_t i = 0; i < n; ++i) {
    Tensor* param = nullptr;
    for (size_t l = 0; l < specs.size(); ++l) {
      const std::string name = std::string(specs[l].name) + "[" + std::to_string(i) + "]";
      Tensor& t = TensorWrap::unwrap(arrays[l].Get(i), name);
      if (!out.backend) out.backend = &t.backend();
      if (&t.backend() != out.backend) {
        throw Error(code::kDevice, name + ": expected a tensor on " + device_name(out.backend->kind()) + " (like " +
                                       specs[0].name + "[0]), got one on " + device_name(t.backend().kind()));
      }
      if (t.dtype() != specs[l].dtype) {
        throw Error(code::kDtype, name + ": expected dtype " + dtype_name(specs[l].dtype) + ", got " + dtype_name(t.dtype()));
      }
      if (l == 0) {
        param = &t;
        out.params.push_back(&t);
      } else if (specs[l].per_element == 0 && t.shape() != param->shape()) {
        throw Error(code::kShape, name + ": expected shape " + shape_string(param->shape()) + " (the param's), got " +
                                      shape_string(t.shape()));
      } else if (specs[l].per_element > 0) {
        const int64_t want = (param->numel() + specs[l].per_element - 1) / specs[l].per_element;
        if (t.numel() != want) {
          throw Error(code::kShape, name + ": expected " + std::to_string(want) + " elements (one per block of " +
                                        std::to_string(specs[l].per_element) + "), got " + std::to_string(t.numel()));
        }
      }
      out.lists.ptrs[i][specs[l].slot] = t.data();
      seen.push_back(t.data());
    }
    out.lists.numel[i] = param->numel();
  }
  std::sort(seen.begin(), seen.end());
  if (std::adjacent_find(seen.begin(), seen.end()) != seen.end()) {
    throw Error(code::kInvalidArgument, "tensors: the same tensor appears more than once among the params and their grads and state");
  }
  return out;
}

std::vector<bool> read_flags(const Napi::Value& v, size_t count, const std::string& name) {
  Napi::Array a = read_array(v, name);
  if (a.Length() != count) {
    throw Error(code::kInvalidArgument, name + ": expected " + std::to_string(count) + " booleans, got " + std::to_string(a.Length()));
  }
  std::vector<bool> out(count);
  for (uint32_t i = 0; i < count; ++i) out[i] = read_bool(a.Get(i), name + "[" + std::to_string(i) + "]");
  return out;
}

std::vector<double> read_steps(const Napi::Value& v, size_t count, const std::string& name) {
  Napi::Array a = read_array(v, name);
  if (a.Length() != count) {
    throw Error(code::kInvalidArgument, name + ": expected " + std::to_string(count) + " step counts, got " + std::to_string(a.Length()));
  }
  std::vector<double> steps(count);
  for (uint32_t i = 0; i < count; ++i) {
    steps[i] = static_cast<double>(read_whole(a.Get(i), name + "[" + std::to_string(i) + "]", 1, int64_t{1} << 53));
  }
  return steps;
}

}  // namespace cuoptim
