// src-native/op_specs_torch_extra.cc — option parsing and host scalars for torch.optim's
// Adadelta, Rprop and ASGD (kernels/math/adadelta.cuh, rprop.cuh, asgd.cuh; torch 1.13), and for
// LARS (kernels/math/lars.cuh).
#include <algorithm>
#include <cmath>

#include "binding_util.h"
#include "op_spec_fields.h"
#include "op_specs.h"

namespace cuoptim {

namespace {

float f32(double v) { return static_cast<float>(v); }
float grad_scale(const Napi::Object& o) { return f32(read_number_field(o, "gradScale", kOwner)); }

}  // namespace

void OpSpec<math::AdadeltaOp>::parse(const Napi::Object& o) {
  const double rho = number_in(o, "rho", 0, false, 1, false);
  const double wd = non_negative(o, "weightDecay");
  hyper = {f32(-non_negative(o, "lr")), f32(rho), f32(1.0 - rho), f32(non_negative(o, "eps")), f32(wd), grad_scale(o)};
  flags = (wd != 0 ? math::kAdadeltaWeightDecay : 0u) | (flag(o, "maximize") ? math::kAdadeltaMaximize : 0u);
}

void OpSpec<math::RpropOp>::parse(const Napi::Object& o) {
  const double eta_minus = number_in(o, "etaMinus", 0, true, 1, true);
  const double eta_plus = number_in(o, "etaPlus", 1, true, kInf, true);
  const double step_min = non_negative(o, "stepSizeMin");
  const double step_max = number_in(o, "stepSizeMax", step_min, false, kInf, true);
  hyper = {f32(eta_minus), f32(eta_plus), f32(step_min), f32(step_max), grad_scale(o)};
  flags = flag(o, "maximize") ? math::kRpropMaximize : 0u;
}

void OpSpec<math::AsgdOp>::parse(const Napi::Object& o) {
  lr = non_negative(o, "lr");
  lambd = non_negative(o, "lambd");
  alpha = non_negative(o, "alpha");
  t0 = non_negative(o, "t0");
  const double wd = non_negative(o, "weightDecay");
  hyper = {f32(wd), grad_scale(o)};
  flags = (wd != 0 ? math::kAsgdWeightDecay : 0u) | (flag(o, "maximize") ? math::kAsgdMaximize : 0u);
}

// torch 1.13: the step uses the eta and mu of the step before (eta = lr and mu = 1 at first),
// then eta = lr / (1 + lambd*lr*t)^alpha and mu = 1 / max(1, t - t0), each a float32 tensor.
double OpSpec<math::AsgdOp>::host_step(double t, bool, double eta, float* out) const {
  out[0] = f32(1.0 - lambd * eta);
  out[1] = f32(-eta);
  out[2] = t <= 1 ? 1.0f : f32(1.0 / std::max(1.0, (t - 1) - t0));
  return static_cast<double>(f32(lr / std::pow(1.0 + lambd * lr * t, alpha)));
}

void OpSpec<math::LarsOp>::parse(const Napi::Object& o) {
  lr = non_negative(o, "lr");
  const double wd = non_negative(o, "weightDecay");
  hyper = {f32(non_negative(o, "momentum")), f32(wd), grad_scale(o)};
  flags = (wd != 0 ? math::kLarsWeightDecay : 0u) | (flag(o, "maximize") ? math::kLarsMaximize : 0u);
}

// λ_t = lr * trust, in double, rounded once.
double OpSpec<math::LarsOp>::host_step(double, bool, double trust, float* out) const {
  if (!(trust >= 0) || trust == HUGE_VAL) throw Error(code::kRange, "hostState: expected a finite trust ratio >= 0, got " + std::to_string(trust));
  out[0] = f32(-(lr * trust));
  return trust;
}

}  // namespace cuoptim
