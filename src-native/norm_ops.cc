// src-native/norm_ops.cc — gradient norms and clipping transforms:
//   gradNorm(grads, normType)              -> the total norm (2: Euclidean, Infinity: max |g|)
//   gradNormTotals(grads, normType)        -> each grad's total before they are combined
//   transformTensors(tensors, kind, value) kind "scale": x *= value; "clamp": x in [-value, value]
// The backend returns one partial per 65536-element chunk (kernels/cuda/grad_norm.cu); this file
// combines them in one fixed order — each tensor's chunks in order, then the tensors in order —
// so the total is the same on every backend.
#include "norm_ops.h"

#include "../kernels/math/half.cuh"

#include <cmath>
#include <string>
#include <vector>

#include "backend.h"
#include "binding_util.h"
#include "ops_common.h"

namespace cuoptim {

namespace {

// Each grad's total (sum of squares, or max |g| for Infinity) from its chunk partials, in chunk
// order; an empty list gives none.
std::vector<double> tensor_totals(const Napi::CallbackInfo& info, bool* inf_norm) {
  const double norm_type = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : NAN;
  if (norm_type != 2.0 && !std::isinf(norm_type)) throw_arg(code::kRange, "normType", "2 or Infinity");
  *inf_norm = std::isinf(norm_type);
  ReadLists r = read_lists({{"grads", info[0], 0, DType::F32, 0, true}}, 1);
  // 16-bit grads are widened element by element (kernels/math/half.cuh): the format's param
  // bits carry each grad's storage type.
  bool half = false;
  for (Tensor* t : r.params) half = half || is_half(t->dtype());
  if (half) {
    r.lists.formats.resize(r.params.size());
    for (size_t i = 0; i < r.params.size(); ++i) r.lists.formats[i] = math::TensorFormat::make(storage_type(r.params[i]->dtype()), 0, 0, false, 0).bits;
  }
  if (r.params.empty()) return {};
  NormArgs args;
  args.lists = std::move(r.lists);
  args.inf_norm = *inf_norm;
  std::vector<double> partials;
  CallScope::ensure_live();
  r.backend->grad_norm_partials(args, &partials);
  std::vector<double> totals;
  size_t k = 0;
  for (int64_t n : args.lists.numel) {
    double tensor_total = 0.0;
    for (int64_t s = 0; s < n; s += kNormChunk, ++k) {
      tensor_total = args.inf_norm ? math::nan_max_d(tensor_total, partials[k]) : tensor_total + partials[k];
    }
    totals.push_back(tensor_total);
  }
  return totals;
}

Napi::Value grad_norm(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    bool inf_norm = false;
    double total = 0.0;
    for (double t : tensor_totals(info, &inf_norm)) total = inf_norm ? math::nan_max_d(total, t) : total + t;
    return Napi::Number::New(info.Env(), inf_norm ? total : std::sqrt(total));
  });
}

// gradNormTotals(grads, normType): each grad's total before the tensors are combined, so
// per-rank totals can be combined across ranks in gradNorm's own order (cuoptim/distributed).
Napi::Value grad_norm_totals(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    bool inf_norm = false;
    const std::vector<double> totals = tensor_totals(info, &inf_norm);
    Napi::Float64Array out = Napi::Float64Array::New(info.Env(), totals.size());
    for (size_t i = 0; i < totals.size(); ++i) out[i] = totals[i];
    return out;
  });
}

Napi::Value transform_tensors(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const std::string kind = read_string(info[1], "kind");
    if (kind != "scale" && kind != "clamp") throw_arg(code::kInvalidArgument, "kind", "\"scale\" or \"clamp\"");
    const double value = read_number(info[2], "value");
    if (kind == "clamp" && value < 0) throw_arg(code::kRange, "value", "a bound >= 0");
    ReadLists r = read_lists({{"tensors", info[0], 0}}, 1);
    if (r.params.empty()) return info.Env().Undefined();
    TransformArgs args;
    args.lists = std::move(r.lists);
    args.kind = kind == "scale" ? math::kTransformScale : math::kTransformClamp;
    args.value = static_cast<float>(value);
    CallScope::ensure_live();
    r.backend->transform(args);
    return info.Env().Undefined();
  });
}

}  // namespace

void register_norm_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("gradNorm", Napi::Function::New(env, grad_norm, "gradNorm"));
  exports.Set("gradNormTotals", Napi::Function::New(env, grad_norm_totals, "gradNormTotals"));
  exports.Set("transformTensors", Napi::Function::New(env, transform_tensors, "transformTensors"));
}

}  // namespace cuoptim
