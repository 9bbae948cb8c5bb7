// src-native/ops_common.cc — tensor-list validation for the optimizer ops.
#include "ops_common.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "binding_util.h"
#include "../kernels/errors.h"
#include "../kernels/math/half.cuh"
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
  out.dtypes.assign(n, {});
  std::vector<const void*> seen;
  seen.reserve(static_cast<size_t>(n) * specs.size());
  const TensorWrap::Batch batch;
  for (uint32_t i = 0; i < n; ++i) {
    Tensor* param = nullptr;
    for (size_t l = 0; l < specs.size(); ++l) {
      const auto name = [&] { return std::string(specs[l].name) + "[" + std::to_string(i) + "]"; };
      Tensor& t = batch.unwrap_at(arrays[l].Get(i), name);
      if (!out.backend) out.backend = &t.backend();
      if (&t.backend() != out.backend) {
        throw Error(code::kDevice, name() + ": expected a tensor on " + out.backend->name() + " (like " +
                                       specs[0].name + "[0]), got one on " + t.backend().name());
      }
      if (t.dtype() != specs[l].dtype && !(specs[l].half_ok && is_half(t.dtype()))) {
        throw Error(code::kDtype, name() + ": expected dtype " + dtype_name(specs[l].dtype) + ", got " + dtype_name(t.dtype()));
      }
      if (l == 0) {
        param = &t;
        out.params.push_back(&t);
      } else if (specs[l].per_element == 0 && t.shape() != param->shape()) {
        throw Error(code::kShape, name() + ": expected shape " + shape_string(param->shape()) + " (the param's), got " +
                                      shape_string(t.shape()));
      } else if (specs[l].per_element > 0) {
        const int64_t want = (param->numel() + specs[l].per_element - 1) / specs[l].per_element;
        if (t.numel() != want) {
          throw Error(code::kShape, name() + ": expected " + std::to_string(want) + " elements (one per block of " +
                                        std::to_string(specs[l].per_element) + "), got " + std::to_string(t.numel()));
        }
      }
      out.lists.ptrs[i][specs[l].slot] = t.data();
      out.dtypes[i][specs[l].slot] = t.dtype();
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

StorageOptions read_storage(const Napi::CallbackInfo& info, size_t arg, size_t n) {
  StorageOptions o;
  if (info.Length() <= arg || info[arg].IsUndefined()) return o;
  Napi::Object obj = read_object(info[arg], "storage");
  o.stochastic = read_bool_field(obj, "stochasticRounding", "storage");
  if (!o.stochastic) return o;
  o.seed = static_cast<uint32_t>(read_whole(obj.Get("seed"), "storage.seed", 0, 0xffffffffLL));
  const Napi::Value ids = obj.Get("tensorIds");
  if (!ids.IsTypedArray() || ids.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array ||
      ids.As<Napi::TypedArray>().ElementLength() != n) {
    throw Error(code::kInvalidArgument, "storage.tensorIds: expected a Uint32Array of " + std::to_string(n) + " ids");
  }
  const Napi::Uint32Array a = ids.As<Napi::Uint32Array>();
  o.ids.assign(a.Data(), a.Data() + n);
  return o;
}

void set_storage_formats(ReadLists& r, int state_begin, int state_end, int shadow, bool masters, const StorageOptions& o,
                         const std::vector<double>& steps) {
  const size_t n = r.params.size();
  bool any = masters || o.stochastic;
  for (size_t i = 0; i < n && !any; ++i) {
    any = r.dtypes[i][kParamList] != DType::F32 || (r.lists.ptrs[i][kGradList] && r.dtypes[i][kGradList] != DType::F32);
    for (int l = state_begin; l < state_end; ++l) any = any || (r.lists.ptrs[i][l] && r.dtypes[i][l] != DType::F32);
  }
  if (!any) return;
  r.lists.formats.assign(n, 0);
  if (o.stochastic) r.lists.keys.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = *r.params[i];
    const DType pd = p.dtype();
    const std::string where = "params[" + std::to_string(i) + "]";
    // Any float grad (the TypeScript layer holds a param's grad to its dtype or float32; casts
    // and the EMA read any dtype into any other).
    const DType gd = r.lists.ptrs[i][kGradList] ? r.dtypes[i][kGradList] : DType::F32;
    DType sd = DType::F32;
    bool first = true;
    for (int l = state_begin; l < state_end; ++l) {
      if (!r.lists.ptrs[i][l]) continue;
      const DType d = r.dtypes[i][l];
      if ((d != DType::F32 && d != pd) || (!first && d != sd)) {
        throw Error(code::kDtype, "state[" + std::to_string(i) + "]: expected every state of a param in float32 or all in the param's dtype (" +
                                      dtype_name(pd) + "), got " + dtype_name(d));
      }
      sd = d;
      first = false;
    }
    unsigned shadow_type = 0;
    if (masters) {
      if (!is_half(pd)) throw Error(code::kDtype, where + ": master weights need a bfloat16 or float16 param, got " + std::string(dtype_name(pd)));
      shadow_type = storage_type(pd);
      std::swap(r.lists.ptrs[i][shadow], r.lists.ptrs[i][kParamList]);
    }
    if (o.stochastic) {
      if (!is_half(pd) || masters) {
        throw Error(code::kInvalidArgument, where + ": stochastic rounding needs a bfloat16 or float16 param without master weights");
      }
      r.lists.keys[i] = math::stochastic_key(o.seed, o.ids[i], static_cast<uint64_t>(steps[i]));
    }
    const unsigned param_type = masters ? math::kStoreF32 : storage_type(pd);
    r.lists.formats[i] = math::TensorFormat::make(param_type, storage_type(gd), storage_type(sd), o.stochastic, shadow_type).bits;
  }
}

std::vector<bool> read_flags(const Napi::Value& v, size_t count, const std::string& name) {
  // A Uint8Array of 0/1 (what the TypeScript layer passes: one call, no per-element lookups).
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    Napi::Uint8Array u = v.As<Napi::Uint8Array>();
    if (u.ElementLength() != count) {
      throw Error(code::kInvalidArgument, name + ": expected " + std::to_string(count) + " flags, got " + std::to_string(u.ElementLength()));
    }
    std::vector<bool> out(count);
    for (size_t i = 0; i < count; ++i) {
      if (u[i] > 1) throw Error(code::kInvalidArgument, name + "[" + std::to_string(i) + "]: expected 0 or 1, got " + std::to_string(u[i]));
      out[i] = u[i] != 0;
    }
    return out;
  }
  Napi::Array a = read_array(v, name);
  if (a.Length() != count) {
    throw Error(code::kInvalidArgument, name + ": expected " + std::to_string(count) + " booleans, got " + std::to_string(a.Length()));
  }
  std::vector<bool> out(count);
  for (uint32_t i = 0; i < count; ++i) {
    const Napi::Value v = a.Get(i);
    out[i] = v.IsBoolean() ? v.As<Napi::Boolean>().Value() : read_bool(v, name + "[" + std::to_string(i) + "]");
  }
  return out;
}

std::vector<double> read_steps(const Napi::Value& v, size_t count, const std::string& name) {
  constexpr double kMaxStep = 9007199254740992.0;  // 2^53
  const auto valid = [&](double d) { return d >= 1 && d <= kMaxStep && d == std::floor(d); };
  // A Float64Array (what the TypeScript layer passes: one call, no per-element lookups).
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float64_array) {
    Napi::Float64Array f = v.As<Napi::Float64Array>();
    if (f.ElementLength() != count) {
      throw Error(code::kInvalidArgument, name + ": expected " + std::to_string(count) + " step counts, got " + std::to_string(f.ElementLength()));
    }
    std::vector<double> steps(f.Data(), f.Data() + count);
    for (size_t i = 0; i < count; ++i) {
      if (!valid(steps[i])) throw Error(code::kRange, name + "[" + std::to_string(i) + "]: expected a whole number in [1, 2^53], got " + std::to_string(steps[i]));
    }
    return steps;
  }
  Napi::Array a = read_array(v, name);
  if (a.Length() != count) {
    throw Error(code::kInvalidArgument, name + ": expected " + std::to_string(count) + " step counts, got " + std::to_string(a.Length()));
  }
  std::vector<double> steps(count);
  for (uint32_t i = 0; i < count; ++i) {
    const Napi::Value v = a.Get(i);
    const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : 0.0;
    // Fast path for a valid step; anything else goes through read_whole for its message.
    steps[i] = valid(d)
                   ? d
                   : static_cast<double>(read_whole(v, name + "[" + std::to_string(i) + "]", 1, int64_t{1} << 53));
  }
  return steps;
}

}  // namespace cuoptim
