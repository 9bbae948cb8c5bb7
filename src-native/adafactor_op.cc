// src-native/adafactor_op.cc — the Adafactor (and CAME) entry point:
//   adafactorStep(params, grads, rows, cols, variances, expAvgs, steps, options[, resRows, resCols
//                 [, workspaces]])
//   adafactorWorkspaceBytes(shape) -> the device scratch one param of this shape needs
// rows/cols/variances/expAvgs hold one tensor or null per param: a param with two or more dims
// has row and column statistics (B*R and B*C elements, B the product of its leading dims), one
// with fewer has a full `variance`; expAvgs (transformers' first moment) is null or a list.
// Everything is validated before the backend runs; per-tensor scalars are computed here in
// double from each step count. CAME (options.variant "came") always has expAvgs, and factored
// params also have the instability's statistics in resRows/resCols. On cuda and cuda-sim each
// param needs a workspace (uint8, adafactorWorkspaceBytes of its shape): the TypeScript layer
// allocates them with the step's state, before any update, and passes them in workspaces; those
// not given are allocated here, all before the first tensor runs.
#include "adafactor_op.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backend.h"
#include "binding_util.h"
#include "ops_common.h"
#include "tensor_wrap.h"

namespace cuoptim {

namespace {

struct Options {
  math::AdafactorHyper hyper{};
  double lr = 0, decay = 0, beta2 = 0;
  bool relative_step = false, warmup_init = false;
};

// CAME's options: lr, beta1..3, eps1 (added to g²), epsRes (added to the instability),
// clipThreshold, weightDecay, gradScale.
Options read_came_options(const Napi::Object& o) {
  const std::string owner = "options";
  auto num = [&](const char* k) { return read_number_field(o, k, owner); };
  auto in = [&](const char* k, double lo, bool lo_open, double hi, bool hi_open) {
    const double v = num(k);
    if (!((lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi))) {
      throw Error(code::kRange, owner + "." + k + ": expected a value in " + (lo_open ? "(" : "[") + std::to_string(lo) + ", " +
                                    std::to_string(hi) + (hi_open ? ")" : "]") + ", got " + std::to_string(v));
    }
    return v;
  };
  constexpr double kInf = HUGE_VAL;
  Options out;
  math::AdafactorHyper& h = out.hyper;
  h.variant = math::kAdafactorCame;
  out.lr = in("lr", 0, false, kInf, false);
  const double b1 = in("beta1", 0, false, 1, false), b2 = in("beta2", 0, false, 1, false), b3 = in("beta3", 0, false, 1, false);
  out.beta2 = b2;
  h.first_moment = 1;
  h.beta1 = static_cast<float>(b1);
  h.one_minus_beta1 = static_cast<float>(1.0 - b1);
  h.res_beta = static_cast<float>(b3);
  h.one_minus_res_beta = static_cast<float>(1.0 - b3);
  h.eps1 = static_cast<float>(in("eps1", 0, false, kInf, false));
  h.eps_res = static_cast<float>(in("epsRes", 0, false, kInf, false));
  h.d = in("clipThreshold", 0, true, kInf, false);
  const double wd = in("weightDecay", 0, false, kInf, false);
  h.wd = wd;
  h.weight_decay = wd != 0 ? 1 : 0;
  h.lr = static_cast<float>(out.lr);
  h.neg_wd_lr = static_cast<float>(-wd * out.lr);
  h.grad_scale = static_cast<float>(num("gradScale"));
  return out;
}

Options read_options(const Napi::Object& o) {
  const std::string owner = "options";
  auto num = [&](const char* k) { return read_number_field(o, k, owner); };
  auto flag = [&](const char* k) { return read_bool_field(o, k, owner); };
  auto at_least = [&](const char* k, double lo) {
    const double v = num(k);
    if (v < lo) throw Error(code::kRange, owner + "." + k + ": expected a value >= " + std::to_string(lo) + ", got " + std::to_string(v));
    return v;
  };
  Options out;
  math::AdafactorHyper& h = out.hyper;
  const std::string variant = read_string(o.Get("variant"), "options.variant");
  if (variant == "came") return read_came_options(o);
  if (variant != "torch" && variant != "transformers") throw_arg(code::kInvalidArgument, "options.variant", "\"torch\", \"transformers\" or \"came\"");
  h.variant = variant == "torch" ? math::kAdafactorTorch : math::kAdafactorTransformers;
  out.lr = at_least("lr", 0);
  out.decay = num("decay");
  if (out.decay > 0) throw Error(code::kRange, "options.decay: expected a value <= 0, got " + std::to_string(out.decay));
  const double eps1 = at_least("eps1", 0);
  h.eps1 = static_cast<float>(eps1);
  h.eps1_squared = static_cast<float>(eps1 * eps1);
  h.eps2 = at_least("eps2", 0);
  h.d = num("d");
  if (!(h.d > 0)) throw Error(code::kRange, "options.d: expected a value > 0, got " + std::to_string(h.d));
  const double wd = at_least("weightDecay", 0);
  h.wd = wd;
  h.weight_decay = wd != 0 ? 1 : 0;
  h.decay_factor = static_cast<float>(1.0 - out.lr * wd);
  h.grad_scale = static_cast<float>(num("gradScale"));
  h.maximize = flag("maximize") ? 1 : 0;
  const Napi::Value beta1 = o.Get("beta1");
  if (!beta1.IsNull() && !beta1.IsUndefined()) {
    const double b = read_number(beta1, "options.beta1");
    if (b < 0 || b >= 1) throw Error(code::kRange, "options.beta1: expected a value in [0, 1), got " + std::to_string(b));
    h.first_moment = 1;
    h.beta1 = static_cast<float>(b);
    h.one_minus_beta1 = static_cast<float>(1.0 - b);
  }
  h.scale_parameter = flag("scaleParameter") ? 1 : 0;
  out.relative_step = flag("relativeStep");
  out.warmup_init = flag("warmupInit");
  return out;
}

// torch: w = t^decay, rho = min(lr, 1/sqrt t). transformers: beta2_t = 1 - t^decay, w = 1 - beta2_t,
// rho = min(1e-6 t if warmup_init else 1e-2, 1/sqrt t) with relative steps, else lr.
math::AdafactorStepScalars step_scalars(const Options& o, double t) {
  math::AdafactorStepScalars s{};
  const double inv_sqrt = 1.0 / std::sqrt(t);
  if (o.hyper.variant == math::kAdafactorCame) {
    s.beta2_t = static_cast<float>(o.beta2);
    s.w = static_cast<float>(1.0 - o.beta2);
  } else if (o.hyper.variant == math::kAdafactorTorch) {
    s.w = static_cast<float>(std::pow(t, o.decay));
    s.rho = std::min(o.lr, inv_sqrt);
  } else {
    const double beta2_t = 1.0 - std::pow(t, o.decay);
    s.beta2_t = static_cast<float>(beta2_t);
    s.w = static_cast<float>(1.0 - beta2_t);
    s.rho = o.relative_step ? std::min(o.warmup_init ? 1e-6 * t : 1e-2, inv_sqrt) : o.lr;
  }
  return s;
}

// A param of this shape as the kernels see it: B slices of R x C (factored, two or more dims),
// or one row of numel.
AdafactorTensor dims_of(const std::vector<int64_t>& shape) {
  AdafactorTensor t;
  t.factored = shape.size() >= 2;
  if (t.factored) {
    t.rows = shape[shape.size() - 2];
    t.cols = shape[shape.size() - 1];
    t.batch = 1;
    for (size_t d = 0; d + 2 < shape.size(); ++d) t.batch *= shape[d];
  } else {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    t.cols = n;
  }
  return t;
}

// Workspaces this call allocated itself, returned when it ends (after the kernels are queued:
// stream order keeps a reused block safe).
struct OwnedWorkspaces {
  Backend* backend = nullptr;
  std::vector<std::pair<void*, size_t>> blocks;
  ~OwnedWorkspaces() {
    for (auto& [ptr, bytes] : blocks) backend->deallocate(ptr, bytes);
  }
};

Tensor* optional_tensor(const Napi::Array& list, uint32_t i, const std::string& name) {
  const Napi::Value v = list.Get(i);
  return v.IsNull() || v.IsUndefined() ? nullptr : &TensorWrap::unwrap(v, name);
}

Napi::Value adafactor_step(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const Options o = read_options(read_object(info[7], "options"));
    const char* names[] = {"params", "grads", "rows", "cols", "variances"};
    Napi::Array lists[5];
    for (int k = 0; k < 5; ++k) lists[k] = read_array(info[k], names[k]);
    const bool with_exp_avg = !info[5].IsNull() && !info[5].IsUndefined();
    Napi::Array exp_avgs = with_exp_avg ? read_array(info[5], "expAvgs") : Napi::Array();
    if (with_exp_avg != (o.hyper.first_moment != 0)) {
      throw Error(code::kInvalidArgument, "expAvgs: expected a list exactly when options.beta1 is set");
    }
    const uint32_t n = lists[0].Length();
    for (int k = 1; k < 5; ++k) {
      if (lists[k].Length() != n) throw Error(code::kInvalidArgument, std::string(names[k]) + ": expected " + std::to_string(n) + " entries");
    }
    if (with_exp_avg && exp_avgs.Length() != n) throw Error(code::kInvalidArgument, "expAvgs: expected " + std::to_string(n) + " entries");
    const std::vector<double> steps = read_steps(info[6], n, "steps");
    const bool came = o.hyper.variant == math::kAdafactorCame;
    Napi::Array res_rows, res_cols;
    if (came) {
      res_rows = read_array(info[8], "resRows");
      res_cols = read_array(info[9], "resCols");
      if (res_rows.Length() != n || res_cols.Length() != n) throw Error(code::kInvalidArgument, "resRows, resCols: expected " + std::to_string(n) + " entries each");
    }

    std::optional<Napi::Array> workspaces;
    if (info.Length() > 10 && !info[10].IsNull() && !info[10].IsUndefined()) {
      workspaces = read_array(info[10], "workspaces");
      if (workspaces->Length() != n) throw Error(code::kInvalidArgument, "workspaces: expected " + std::to_string(n) + " entries");
    }
    AdafactorArgs args;
    args.hyper = o.hyper;
    Backend* backend = nullptr;
    std::vector<const void*> seen;
    auto check = [&](Tensor& t, const std::string& name, int64_t numel) {
      if (!backend) backend = &t.backend();
      if (&t.backend() != backend) throw Error(code::kDevice, name + ": expected a tensor on " + backend->name());
      if (t.dtype() != DType::F32) throw Error(code::kDtype, name + ": expected dtype float32");
      if (t.numel() != numel) {
        throw Error(code::kShape, name + ": expected " + std::to_string(numel) + " elements, got " + std::to_string(t.numel()));
      }
      seen.push_back(t.data());
      return static_cast<float*>(t.data());
    };
    for (uint32_t i = 0; i < n; ++i) {
      const std::string at = "[" + std::to_string(i) + "]";
      Tensor& p = TensorWrap::unwrap(lists[0].Get(i), "params" + at);
      Tensor& g = TensorWrap::unwrap(lists[1].Get(i), "grads" + at);
      if (g.shape() != p.shape()) throw Error(code::kShape, "grads" + at + ": expected the param's shape");
      AdafactorTensor t = dims_of(p.shape());
      t.param = check(p, "params" + at, p.numel());
      t.grad = check(g, "grads" + at, p.numel());
      Tensor* row = optional_tensor(lists[2], i, "rows" + at);
      Tensor* col = optional_tensor(lists[3], i, "cols" + at);
      Tensor* var = optional_tensor(lists[4], i, "variances" + at);
      if (t.factored != (row && col) || t.factored == (var != nullptr)) {
        throw Error(code::kInvalidArgument, "params" + at + ": a param with two or more dims needs rows and cols, one with fewer a variance");
      }
      if (row) t.row = check(*row, "rows" + at, t.batch * t.rows);
      if (col) t.col = check(*col, "cols" + at, t.batch * t.cols);
      if (var) t.variance = check(*var, "variances" + at, p.numel());
      if (with_exp_avg) t.exp_avg = check(TensorWrap::unwrap(exp_avgs.Get(i), "expAvgs" + at), "expAvgs" + at, p.numel());
      if (came) {
        Tensor* rr = optional_tensor(res_rows, i, "resRows" + at);
        Tensor* rc = optional_tensor(res_cols, i, "resCols" + at);
        if (t.factored != (rr && rc) || (!t.factored && (rr || rc))) {
          throw Error(code::kInvalidArgument, "params" + at + ": CAME keeps instability rows and cols exactly for params with two or more dims");
        }
        if (rr) t.res_row = check(*rr, "resRows" + at, t.batch * t.rows);
        if (rc) t.res_col = check(*rc, "resCols" + at, t.batch * t.cols);
      }
      if (workspaces) {
        Tensor* w = optional_tensor(*workspaces, i, "workspaces" + at);
        const int64_t bytes = AdafactorWorkspace::layout(t).bytes;
        if (w) {
          if (&w->backend() != backend) throw Error(code::kDevice, "workspaces" + at + ": expected a tensor on " + backend->name());
          if (w->dtype() != DType::U8 || w->numel() < bytes) {
            throw Error(code::kShape, "workspaces" + at + ": expected a uint8 tensor of at least " + std::to_string(bytes) + " bytes");
          }
          t.workspace = w->data();
          seen.push_back(w->data());
        }
      }
      t.step = step_scalars(o, steps[i]);
      if (t.numel() > 0) args.tensors.push_back(t);
    }
    std::sort(seen.begin(), seen.end());
    if (std::adjacent_find(seen.begin(), seen.end()) != seen.end()) {
      throw Error(code::kInvalidArgument, "tensors: the same tensor appears more than once among the params and their grads and state");
    }
    CallScope::ensure_live();
    if (!backend || args.tensors.empty()) return info.Env().Undefined();
    OwnedWorkspaces owned;
    owned.backend = backend;
    if (backend->kind() != DeviceKind::Cpu) {
      for (AdafactorTensor& t : args.tensors) {
        if (t.workspace) continue;
        const size_t bytes = static_cast<size_t>(AdafactorWorkspace::layout(t).bytes);
        t.workspace = backend->allocate(bytes);
        owned.blocks.emplace_back(t.workspace, bytes);
      }
    }
    backend->adafactor(args);
    return info.Env().Undefined();
  });
}

Napi::Value adafactor_workspace_bytes(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const Napi::Array list = read_array(info[0], "shape");
    std::vector<int64_t> shape;
    for (uint32_t i = 0; i < list.Length(); ++i) {
      const double d = read_number(list.Get(i), "shape[" + std::to_string(i) + "]");
      if (!(d >= 0 && d <= 9007199254740991.0 && std::floor(d) == d)) throw_arg(code::kShape, "shape[" + std::to_string(i) + "]", "a whole number >= 0");
      shape.push_back(static_cast<int64_t>(d));
    }
    return Napi::Number::New(info.Env(), static_cast<double>(AdafactorWorkspace::layout(dims_of(shape)).bytes));
  });
}

}  // namespace

void register_adafactor_op(Napi::Env env, Napi::Object exports) {
  exports.Set("adafactorStep", Napi::Function::New(env, adafactor_step, "adafactorStep"));
  exports.Set("adafactorWorkspaceBytes", Napi::Function::New(env, adafactor_workspace_bytes, "adafactorWorkspaceBytes"));
}

}  // namespace cuoptim
