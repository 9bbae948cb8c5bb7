// src-native/op_specs_frontier.cc — option parsing and host scalars for the optimizers after
// torch.optim's classic set: AdEMAMix (kernels/math/ademamix.cuh) and Schedule-Free SGD / AdamW
// (kernels/math/schedule_free.cuh), LAMB (kernels/math/lamb.cuh) and Muon's element-wise parts
// (kernels/math/muon.cuh).
#include <algorithm>
#include <cmath>

#include "binding_util.h"
#include "op_spec_fields.h"
#include "op_specs.h"

namespace cuoptim {

namespace {

float f32(double v) { return static_cast<float>(v); }

}  // namespace

void OpSpec<math::AdemamixOp>::parse(const Napi::Object& o) {
  const double lr = non_negative(o, "lr");
  beta1 = unit_interval(o, "beta1");
  beta2 = unit_interval(o, "beta2");
  beta3 = unit_interval(o, "beta3");
  alpha = non_negative(o, "alpha");
  t_alpha = non_negative(o, "tAlpha");  // 0: no warmup
  t_beta3 = non_negative(o, "tBeta3");
  if (t_beta3 > 0 && !(beta1 > 0 && beta3 > 0)) {
    throw Error(code::kRange, "options.tBeta3: the beta3 scheduler interpolates between log(beta1) and log(beta3), which must both be > 0");
  }
  const double wd = non_negative(o, "weightDecay");
  // bitsandbytes forms 1 - lr*wd in float32.
  const float decay = 1.0f - f32(lr) * f32(wd);
  hyper = {f32(lr), f32(beta1), f32(beta2), f32(non_negative(o, "eps")), decay, f32(read_number_field(o, "gradScale", kOwner))};
  flags = wd > 0 ? math::kAdemamixWeightDecay : 0u;
}

void BlockwiseSpec<math::Ademamix8bitRule>::parse(const Napi::Object& o) {
  scalars.parse(o);
  hyper = scalars.hyper;
  block_size = read_block_size(o);
}

// c1 = 1 - β1^t, c2 = sqrt(1 - β2^t); the schedulers of the paper (and bitsandbytes):
//   α_t = min(t·α / T_α, α)
//   β3_t = min(exp(ln β1 · ln β3 / ((1 - t/T_β3)·ln β3 + (t/T_β3)·ln β1)), β3)
void OpSpec<math::AdemamixOp>::tensor_scalars(double t, bool, float* out) const {
  out[0] = f32(1.0 - std::pow(beta1, t));
  out[1] = f32(std::sqrt(1.0 - std::pow(beta2, t)));
  out[2] = f32(t_alpha > 0 ? std::min(t * alpha / t_alpha, alpha) : alpha);
  double b3 = beta3;
  if (t_beta3 > 0) {
    const double ln1 = std::log(beta1), ln3 = std::log(beta3), s = t / t_beta3;
    b3 = std::min(std::exp(ln1 * ln3 / ((1 - s) * ln3 + s * ln1)), beta3);
  }
  out[3] = f32(b3);
}

namespace {

void parse_schedule_free(OpSpec<math::SgdScheduleFreeOp>& spec, const Napi::Object& o, bool adam) {
  spec.adam = adam;
  spec.lr = non_negative(o, "lr");
  spec.beta = number_in(o, "beta", 0, true, 1, true);
  spec.warmup_steps = non_negative(o, "warmupSteps");
  const double wd = non_negative(o, "weightDecay");
  spec.beta2 = adam ? unit_interval(o, "beta2") : 0.0;
  const double eps = adam ? non_negative(o, "eps") : 0.0;
  spec.hyper = {f32(spec.beta2), f32(1.0 - spec.beta2), f32(eps), f32(wd), f32(read_number_field(o, "gradScale", kOwner))};
  spec.flags = wd != 0 ? math::kScheduleFreeWeightDecay : 0u;
}

}  // namespace

void OpSpec<math::SgdScheduleFreeOp>::parse(const Napi::Object& o) { parse_schedule_free(*this, o, false); }
void OpSpec<math::AdamwScheduleFreeOp>::parse(const Napi::Object& o) { parse_schedule_free(*this, o, true); }

// The reference's step k = t - 1: lr_t = lr * min((k+1)/warmup, 1) (* sqrt(1 - β2^(k+1)) for
// AdamW); y moves by lr_t*(β*(1 - ckp1) - 1) along g and z by -lr_t.
double OpSpec<math::SgdScheduleFreeOp>::host_step(double t, bool fresh, double ckp1, float* out) const {
  if (!(ckp1 >= 0 && ckp1 <= 1)) throw Error(code::kRange, "hostState: expected an averaging weight in [0, 1], got " + std::to_string(ckp1));
  const double sched = t - 1 < warmup_steps ? t / warmup_steps : 1.0;
  const double lr_t = lr * sched * (adam ? std::sqrt(1.0 - std::pow(beta2, t)) : 1.0);
  out[0] = f32(ckp1);
  out[1] = f32(lr_t * (beta * (1.0 - ckp1) - 1.0));
  out[2] = f32(-lr_t);
  out[3] = fresh ? 1.0f : 0.0f;
  return ckp1;
}

void OpSpec<math::ScheduleFreeModeOp>::parse(const Napi::Object& o) {
  hyper.weight = f32(read_number_field(o, "weight", kOwner));
}

// apex forms its scalars from float32 options: β3 = 1 - β1 in float32, c = 1 - pow(β, t) of the
// float32 β (widened), rounded to float32.
void OpSpec<math::LambUpdateOp>::parse(const Napi::Object& o) {
  const float beta1 = f32(unit_interval(o, "beta1"));
  const float beta2 = f32(unit_interval(o, "beta2"));
  const bool averaging = flag(o, "gradAveraging");
  const double clip = number_in(o, "clip", 1, false, kInf, false);
  bias_correction = flag(o, "biasCorrection");
  hyper = {beta1, beta2, averaging ? 1.0f - beta1 : 1.0f, f32(non_negative(o, "eps")), f32(non_negative(o, "weightDecay")), f32(clip),
           f32(read_number_field(o, "gradScale", kOwner))};
  flags = flag(o, "adamwMode") ? math::kLambAdamwMode : 0u;
}

void OpSpec<math::LambUpdateOp>::tensor_scalars(double t, bool, float* out) const {
  out[0] = bias_correction ? f32(1.0 - std::pow(static_cast<double>(hyper.beta1), t)) : 1.0f;
  out[1] = bias_correction ? f32(1.0 - std::pow(static_cast<double>(hyper.beta2), t)) : 1.0f;
}

// Stage 1 has run when this is called, so nothing is refused here: a NaN ratio (from a NaN
// update) propagates into the params, as in apex.
double OpSpec<math::LambApplyOp>::host_step(double, bool, double ratio, float* out) const {
  out[0] = f32(ratio);
  return ratio;
}

void OpSpec<math::MuonMomentumOp>::parse(const Napi::Object& o) {
  const double momentum = unit_interval(o, "momentum");
  hyper = {f32(momentum), f32(1.0 - momentum), f32(read_number_field(o, "gradScale", kOwner))};
  flags = flag(o, "nesterov") ? math::kMuonNesterov : 0u;
}

void OpSpec<math::MuonApplyOp>::parse(const Napi::Object& o) {
  const double lr = non_negative(o, "lr");
  const double wd = non_negative(o, "weightDecay");
  hyper.decay_factor = f32(1.0 - lr * wd);
  flags = wd != 0 ? math::kMuonWeightDecay : 0u;
}

double OpSpec<math::MuonApplyOp>::host_step(double, bool, double lr_adjusted, float* out) const {
  if (!(lr_adjusted >= 0) || lr_adjusted == HUGE_VAL) throw Error(code::kRange, "hostState: expected a finite lr >= 0, got " + std::to_string(lr_adjusted));
  out[0] = f32(-lr_adjusted);
  return lr_adjusted;
}

}  // namespace cuoptim
