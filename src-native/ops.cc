// src-native/ops.cc — the optimizer entry points: validate every argument, compute the
// step-dependent scalars on the host in double, then hand the backend one multi-tensor op.
#include "ops.h"

#include <cmath>

#include "binding_util.h"
#include "ops_common.h"

namespace cuoptim {

namespace {

double read_unit_interval(const Napi::Object& o, const char* key, const std::string& owner) {
  const double d = read_number_field(o, key, owner);
  if (d < 0.0 || d >= 1.0) throw Error(code::kRange, owner + "." + key + ": expected a value in [0, 1), got " + std::to_string(d));
  return d;
}

double read_non_negative(const Napi::Object& o, const char* key, const std::string& owner) {
  const double d = read_number_field(o, key, owner);
  if (d < 0.0) throw Error(code::kRange, owner + "." + key + ": expected a value >= 0, got " + std::to_string(d));
  return d;
}

// adam(params, grads, expAvgs, expAvgSqs, maxExpAvgSqs | null, steps, options)
// steps[i] is param i's step count after this step (torch increments before the update).
Napi::Value adam(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const Napi::Object o = read_object(info[6], "options");
    const double lr = read_non_negative(o, "lr", "options");
    const double beta1 = read_unit_interval(o, "beta1", "options");
    const double beta2 = read_unit_interval(o, "beta2", "options");
    const double eps = read_non_negative(o, "eps", "options");
    const double wd = read_non_negative(o, "weightDecay", "options");
    const double grad_scale = read_number_field(o, "gradScale", "options");
    const bool decoupled = read_bool_field(o, "decoupled", "options");
    const bool amsgrad = read_bool_field(o, "amsgrad", "options");
    const bool maximize = read_bool_field(o, "maximize", "options");

    std::vector<ListArg> specs = {{"params", info[0]}, {"grads", info[1]}, {"expAvgs", info[2]}, {"expAvgSqs", info[3]}};
    if (amsgrad) specs.push_back({"maxExpAvgSqs", info[4]});
    ReadLists r = read_lists(specs);
    const std::vector<double> steps = read_steps(info[5], r.params.size(), "steps");
    if (r.params.empty()) return info.Env().Undefined();

    AdamArgs args;
    args.lists = std::move(r.lists);
    args.flags = (amsgrad ? math::kAdamAmsgrad : 0u) | (maximize ? math::kAdamMaximize : 0u);
    if (wd != 0.0) args.flags |= decoupled ? math::kAdamDecoupledDecay : math::kAdamL2Decay;
    // Each scalar is rounded to float once, from the double torch computes in Python.
    args.hyper.beta1 = static_cast<float>(beta1);
    args.hyper.beta2 = static_cast<float>(beta2);
    args.hyper.one_minus_beta1 = static_cast<float>(1.0 - beta1);
    args.hyper.one_minus_beta2 = static_cast<float>(1.0 - beta2);
    args.hyper.eps = static_cast<float>(eps);
    args.hyper.weight_decay = static_cast<float>(wd);
    args.hyper.decay_factor = static_cast<float>(1.0 - lr * wd);
    args.hyper.grad_scale = static_cast<float>(grad_scale);
    for (size_t i = 0; i < steps.size(); ++i) {
      const double bias_correction1 = 1.0 - std::pow(beta1, steps[i]);
      const double bias_correction2 = 1.0 - std::pow(beta2, steps[i]);
      args.lists.scalars[i][adam_list::kNegStepSize] = static_cast<float>(-(lr / bias_correction1));
      args.lists.scalars[i][adam_list::kBiasCorrection2Sqrt] = static_cast<float>(std::sqrt(bias_correction2));
    }
    r.backend->adam(args);
    return info.Env().Undefined();
  });
}

}  // namespace

void register_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("adam", Napi::Function::New(env, adam, "adam"));
}

}  // namespace cuoptim
