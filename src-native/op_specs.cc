// src-native/op_specs.cc — option parsing and host scalars for each element-wise optimizer.
#include "op_specs.h"

#include <cmath>

#include "binding_util.h"
#include "op_spec_fields.h"

namespace cuoptim {

const std::string kOwner = "options";

double number_in(const Napi::Object& o, const char* key, double lo, bool lo_open, double hi, bool hi_open) {
  const double d = read_number_field(o, key, kOwner);
  const bool ok = (lo_open ? d > lo : d >= lo) && (hi_open ? d < hi : d <= hi);
  if (!ok) {
    throw Error(code::kRange, kOwner + "." + key + ": expected a value in " + (lo_open ? "(" : "[") + std::to_string(lo) + ", " +
                                  std::to_string(hi) + (hi_open ? ")" : "]") + ", got " + std::to_string(d));
  }
  return d;
}

double non_negative(const Napi::Object& o, const char* key) { return number_in(o, key, 0, false, kInf, false); }
double unit_interval(const Napi::Object& o, const char* key) { return number_in(o, key, 0, false, 1, true); }
bool flag(const Napi::Object& o, const char* key) { return read_bool_field(o, key, kOwner); }

void OpSpec<math::AdamOp>::parse(const Napi::Object& o) {
  lr = non_negative(o, "lr");
  beta1 = unit_interval(o, "beta1");
  beta2 = unit_interval(o, "beta2");
  const double eps = non_negative(o, "eps");
  const double wd = non_negative(o, "weightDecay");
  const double grad_scale = read_number_field(o, "gradScale", kOwner);
  const bool decoupled = flag(o, "decoupled");
  flags = (flag(o, "amsgrad") ? math::kAdamAmsgrad : 0u) | (flag(o, "maximize") ? math::kAdamMaximize : 0u);
  if (wd != 0.0) flags |= decoupled ? math::kAdamDecoupledDecay : math::kAdamL2Decay;
  hyper.beta1 = static_cast<float>(beta1);
  hyper.beta2 = static_cast<float>(beta2);
  hyper.one_minus_beta1 = static_cast<float>(1.0 - beta1);
  hyper.one_minus_beta2 = static_cast<float>(1.0 - beta2);
  hyper.eps = static_cast<float>(eps);
  hyper.weight_decay = static_cast<float>(wd);
  weight_decay = wd;
  hyper.grad_scale = static_cast<float>(grad_scale);
}

void OpSpec<math::AdamOp>::tensor_scalars(double step, bool, float* out) const {
  const math::AdamStepScalars s = math::adam_step_scalars(lr, beta1, beta2, weight_decay, step);
  out[0] = s.neg_step_size;
  out[1] = s.bias_correction2_sqrt;
  out[2] = s.decay_factor;
}

void OpSpec<math::SgdOp>::parse(const Napi::Object& o) {
  const double lr = non_negative(o, "lr");
  const double momentum = non_negative(o, "momentum");
  const double dampening = read_number_field(o, "dampening", kOwner);
  const double wd = non_negative(o, "weightDecay");
  const bool nesterov = flag(o, "nesterov");
  if (nesterov && (momentum <= 0 || dampening != 0)) {
    throw Error(code::kInvalidArgument, "options.nesterov: Nesterov momentum requires a momentum and zero dampening");
  }
  flags = (momentum != 0 ? math::kSgdMomentum : 0u) | (nesterov ? math::kSgdNesterov : 0u) |
          (wd != 0 ? math::kSgdWeightDecay : 0u) | (flag(o, "maximize") ? math::kSgdMaximize : 0u);
  hyper.neg_lr = static_cast<float>(-lr);
  hyper.momentum = static_cast<float>(momentum);
  hyper.one_minus_dampening = static_cast<float>(1.0 - dampening);
  hyper.weight_decay = static_cast<float>(wd);
  hyper.grad_scale = static_cast<float>(read_number_field(o, "gradScale", kOwner));
}

void OpSpec<math::SgdOp>::tensor_scalars(double, bool fresh, float* out) const { out[0] = fresh ? 1.0f : 0.0f; }

void OpSpec<math::RmspropOp>::parse(const Napi::Object& o) {
  const double lr = non_negative(o, "lr");
  const double alpha = non_negative(o, "alpha");
  const double eps = non_negative(o, "eps");
  const double momentum = non_negative(o, "momentum");
  const double wd = non_negative(o, "weightDecay");
  flags = (flag(o, "centered") ? math::kRmspropCentered : 0u) | (momentum > 0 ? math::kRmspropMomentum : 0u) |
          (wd != 0 ? math::kRmspropWeightDecay : 0u) | (flag(o, "maximize") ? math::kRmspropMaximize : 0u);
  hyper.neg_lr = static_cast<float>(-lr);
  hyper.alpha = static_cast<float>(alpha);
  hyper.one_minus_alpha = static_cast<float>(1.0 - alpha);
  hyper.eps = static_cast<float>(eps);
  hyper.momentum = static_cast<float>(momentum);
  hyper.weight_decay = static_cast<float>(wd);
  hyper.grad_scale = static_cast<float>(read_number_field(o, "gradScale", kOwner));
}

void OpSpec<math::LionOp>::parse(const Napi::Object& o) {
  const double lr = non_negative(o, "lr");
  const double beta1 = number_in(o, "beta1", 0, false, 1, false);
  const double beta2 = number_in(o, "beta2", 0, false, 1, false);
  const double wd = non_negative(o, "weightDecay");
  flags = (wd != 0 ? math::kLionWeightDecay : 0u) | (flag(o, "maximize") ? math::kLionMaximize : 0u);
  hyper.neg_lr = static_cast<float>(-lr);
  hyper.beta1 = static_cast<float>(beta1);
  hyper.one_minus_beta1 = static_cast<float>(1.0 - beta1);
  hyper.beta2 = static_cast<float>(beta2);
  hyper.one_minus_beta2 = static_cast<float>(1.0 - beta2);
  hyper.decay_factor = static_cast<float>(1.0 - lr * wd);
  hyper.grad_scale = static_cast<float>(read_number_field(o, "gradScale", kOwner));
}

namespace {

// bitsandbytes' Adam scalars for step t: step_size = -lr*c2/c1, eps_scaled = c2*eps, with
// c1 = 1 - b1^t and c2 = sqrt(1 - b2^t), in double.
void bnb_adam_scalars(double lr, double beta1, double beta2, double eps, double step, float* out) {
  const double c1 = 1.0 - std::pow(beta1, step);
  const double c2 = std::sqrt(1.0 - std::pow(beta2, step));
  out[0] = static_cast<float>(-lr * c2 / c1);
  out[1] = static_cast<float>(c2 * eps);
}

math::Adam8bitHyper bnb_adam_hyper(const Napi::Object& o, double* lr, double* beta1, double* beta2, double* eps) {
  *lr = non_negative(o, "lr");
  *beta1 = unit_interval(o, "beta1");
  *beta2 = unit_interval(o, "beta2");
  *eps = non_negative(o, "eps");
  const double wd = non_negative(o, "weightDecay");
  math::Adam8bitHyper h{};
  h.beta1 = static_cast<float>(*beta1);
  h.beta2 = static_cast<float>(*beta2);
  h.one_minus_beta1 = static_cast<float>(1.0 - *beta1);
  h.one_minus_beta2 = static_cast<float>(1.0 - *beta2);
  h.decay_factor = static_cast<float>(1.0 - *lr * wd);
  h.grad_scale = static_cast<float>(read_number_field(o, "gradScale", kOwner));
  h.weight_decay = wd > 0 ? 1 : 0;
  return h;
}

}  // namespace

void OpSpec<math::AdamBnb32Op>::parse(const Napi::Object& o) { hyper = bnb_adam_hyper(o, &lr, &beta1, &beta2, &eps); }

void OpSpec<math::AdamBnb32Op>::tensor_scalars(double step, bool, float* out) const {
  bnb_adam_scalars(lr, beta1, beta2, eps, step, out);
}

void OpSpec<math::EmaOp>::parse(const Napi::Object& o) {
  hyper.weight = static_cast<float>(number_in(o, "weight", 0, false, 1, false));
}

// options.gradScale is the copy's scale (any finite number: clipping and unscaling multiply).
void OpSpec<math::CastOp>::parse(const Napi::Object& o) {
  hyper.scale = static_cast<float>(read_number_field(o, "gradScale", "options"));
}

void OpSpec<math::AxpyOp>::parse(const Napi::Object& o) {
  hyper.scale = static_cast<float>(read_number_field(o, "gradScale", "options"));
}

// options.value, and options.clamp (else a scale).
void OpSpec<math::Transform16Op>::parse(const Napi::Object& o) {
  hyper.scale = static_cast<float>(read_number_field(o, "value", "options"));
  flags = flag(o, "clamp") ? math::kTransformClamp : math::kTransformScale;
}

// The flags every Adam-like spec shares: decoupled or L2 weight decay, maximize.
template <unsigned kL2, unsigned kDecoupled, unsigned kMaximize>
unsigned decay_flags(const Napi::Object& o, double wd) {
  unsigned flags = flag(o, "maximize") ? kMaximize : 0u;
  if (wd != 0) flags |= flag(o, "decoupled") ? kDecoupled : kL2;
  return flags;
}

void OpSpec<math::RadamOp>::parse(const Napi::Object& o) {
  const double lr = non_negative(o, "lr");
  beta1 = unit_interval(o, "beta1");
  beta2 = unit_interval(o, "beta2");
  const double wd = non_negative(o, "weightDecay");
  flags = decay_flags<math::kRadamL2Decay, math::kRadamDecoupledDecay, math::kRadamMaximize>(o, wd);
  hyper = {static_cast<float>(lr), static_cast<float>(beta1), static_cast<float>(beta2), static_cast<float>(1.0 - beta1),
           static_cast<float>(1.0 - beta2), static_cast<float>(non_negative(o, "eps")), static_cast<float>(wd),
           static_cast<float>(1.0 - lr * wd), static_cast<float>(read_number_field(o, "gradScale", kOwner))};
}

// torch: rho_inf = 2/(1-b2) - 1, rho_t = rho_inf - 2 t b2^t / (1 - b2^t); rectified when rho_t > 5.
void OpSpec<math::RadamOp>::tensor_scalars(double t, bool, float* out) const {
  const double bc1 = 1.0 - std::pow(beta1, t);
  const double bc2 = 1.0 - std::pow(beta2, t);
  const double rho_inf = 2.0 / (1.0 - beta2) - 1.0;
  const double rho_t = rho_inf - 2.0 * t * std::pow(beta2, t) / bc2;
  out[0] = static_cast<float>(bc1);
  out[1] = static_cast<float>(std::sqrt(bc2));
  out[3] = rho_t > 5.0 ? 1.0f : 0.0f;
  out[2] = rho_t > 5.0 ? static_cast<float>(std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))) : 0.0f;
}

void OpSpec<math::NadamOp>::parse(const Napi::Object& o) {
  lr = non_negative(o, "lr");
  beta1 = unit_interval(o, "beta1");
  beta2 = unit_interval(o, "beta2");
  momentum_decay = non_negative(o, "momentumDecay");
  const double wd = non_negative(o, "weightDecay");
  flags = decay_flags<math::kNadamL2Decay, math::kNadamDecoupledDecay, math::kNadamMaximize>(o, wd);
  hyper = {static_cast<float>(beta1), static_cast<float>(beta2), static_cast<float>(1.0 - beta1), static_cast<float>(1.0 - beta2),
           static_cast<float>(non_negative(o, "eps")), static_cast<float>(wd), static_cast<float>(1.0 - lr * wd),
           static_cast<float>(read_number_field(o, "gradScale", kOwner))};
}

// torch: mu_product (a float32 tensor) *= mu; mu_product_next = mu_product * mu * mu_next, each a
// float32 multiply by the double cast to float.
double OpSpec<math::NadamOp>::host_step(double t, bool, double mu_product, float* out) const {
  const double mu = beta1 * (1.0 - 0.5 * std::pow(0.96, t * momentum_decay));
  const double mu_next = beta1 * (1.0 - 0.5 * std::pow(0.96, (t + 1) * momentum_decay));
  const float product = static_cast<float>(mu_product) * static_cast<float>(mu);
  const float product_next = product * static_cast<float>(mu) * static_cast<float>(mu_next);
  out[0] = static_cast<float>(1.0 - std::pow(beta2, t));
  out[1] = static_cast<float>(-lr * (1.0 - mu) / (1.0 - static_cast<double>(product)));
  out[2] = static_cast<float>(-lr * mu_next / (1.0 - static_cast<double>(product_next)));
  return product;
}

void OpSpec<math::AdamaxOp>::parse(const Napi::Object& o) {
  lr = non_negative(o, "lr");
  beta1 = unit_interval(o, "beta1");
  const double beta2 = unit_interval(o, "beta2");
  const double wd = non_negative(o, "weightDecay");
  flags = (wd != 0 ? math::kAdamaxWeightDecay : 0u) | (flag(o, "maximize") ? math::kAdamaxMaximize : 0u);
  hyper = {static_cast<float>(beta1), static_cast<float>(beta2), static_cast<float>(1.0 - beta1), static_cast<float>(non_negative(o, "eps")),
           static_cast<float>(wd), static_cast<float>(read_number_field(o, "gradScale", kOwner))};
}

void OpSpec<math::AdamaxOp>::tensor_scalars(double t, bool, float* out) const {
  out[0] = static_cast<float>(-(lr / (1.0 - std::pow(beta1, t))));
}

void OpSpec<math::AdagradOp>::parse(const Napi::Object& o) {
  lr = non_negative(o, "lr");
  lr_decay = non_negative(o, "lrDecay");
  const double wd = non_negative(o, "weightDecay");
  flags = (wd != 0 ? math::kAdagradWeightDecay : 0u) | (flag(o, "maximize") ? math::kAdagradMaximize : 0u);
  hyper = {static_cast<float>(non_negative(o, "eps")), static_cast<float>(wd), static_cast<float>(read_number_field(o, "gradScale", kOwner))};
}

void OpSpec<math::AdagradOp>::tensor_scalars(double t, bool, float* out) const {
  out[0] = static_cast<float>(-(lr / (1.0 + (t - 1.0) * lr_decay)));
}

void OpSpec<math::AdaboundOp>::parse(const Napi::Object& o) {
  lr = non_negative(o, "lr");
  beta1 = unit_interval(o, "beta1");
  beta2 = unit_interval(o, "beta2");
  final_lr = number_in(o, "finalLr", 0, true, kInf, false);
  gamma = number_in(o, "gamma", 0, true, 1, true);
  base_lr = number_in(o, "baseLr", 0, true, kInf, false);
  const double wd = non_negative(o, "weightDecay");
  flags = (wd != 0 ? math::kAdaboundWeightDecay : 0u) | (flag(o, "amsbound") ? math::kAdaboundAmsbound : 0u);
  hyper = {static_cast<float>(beta1), static_cast<float>(beta2), static_cast<float>(1.0 - beta1), static_cast<float>(1.0 - beta2),
           static_cast<float>(non_negative(o, "eps")), static_cast<float>(wd), static_cast<float>(read_number_field(o, "gradScale", kOwner))};
}

// Luolc/AdaBound: step_size = lr sqrt(1-b2^t)/(1-b1^t); the bounds around final_lr*lr/base_lr.
void OpSpec<math::AdaboundOp>::tensor_scalars(double t, bool, float* out) const {
  const double step_size = lr * std::sqrt(1.0 - std::pow(beta2, t)) / (1.0 - std::pow(beta1, t));
  const double final = final_lr * lr / base_lr;
  out[0] = static_cast<float>(step_size);
  out[1] = static_cast<float>(final * (1.0 - 1.0 / (gamma * t + 1.0)));
  out[2] = static_cast<float>(final * (1.0 + 1.0 / (gamma * t)));
}

void OpSpec<math::LookaheadOp>::parse(const Napi::Object& o) {
  hyper.alpha = static_cast<float>(number_in(o, "alpha", 0, false, 1, false));
}

// Liuhong99/Sophia: rho*bs*hess is rho*bs (a Python float) times the tensor; 1e-15 is added.
void OpSpec<math::SophiaOp>::parse(const Napi::Object& o) {
  const double lr = non_negative(o, "lr");
  const double beta1 = unit_interval(o, "beta1");
  const double rho = number_in(o, "rho", 0, true, kInf, false);
  const double batch = number_in(o, "batchSize", 0, true, kInf, false);
  const double wd = non_negative(o, "weightDecay");
  flags = (wd != 0 ? math::kSophiaWeightDecay : 0u) | (flag(o, "maximize") ? math::kSophiaMaximize : 0u);
  hyper = {static_cast<float>(beta1), static_cast<float>(1.0 - beta1), static_cast<float>(rho * batch), 1e-15f,
           static_cast<float>(-lr),  static_cast<float>(1.0 - lr * wd),  static_cast<float>(read_number_field(o, "gradScale", kOwner))};
}

void OpSpec<math::SophiaHessianOp>::parse(const Napi::Object& o) {
  const double beta2 = unit_interval(o, "beta2");
  hyper = {static_cast<float>(beta2), static_cast<float>(1.0 - beta2)};
}

void OpSpec<math::ShampooGraftOp>::parse(const Napi::Object& o) {
  beta2 = unit_interval(o, "beta2");
  flags = flag(o, "maximize") ? math::kShampooMaximize : 0u;
  hyper = {static_cast<float>(beta2), static_cast<float>(1.0 - beta2), static_cast<float>(non_negative(o, "graftingEps")),
           static_cast<float>(read_number_field(o, "gradScale", kOwner))};
}

void OpSpec<math::ShampooGraftOp>::tensor_scalars(double t, bool, float* out) const {
  out[0] = static_cast<float>(std::sqrt(1.0 - std::pow(beta2, t)));
}

void OpSpec<math::ShampooApplyOp>::parse(const Napi::Object& o) {
  lr = non_negative(o, "lr");
  beta1 = number_in(o, "beta1", 0, false, 1, true);
  const double wd = non_negative(o, "weightDecay");
  scale = read_number_field(o, "scale", kOwner);
  if (!std::isfinite(scale)) throw Error(code::kRange, "options.scale: expected a finite number");
  flags = wd != 0 ? math::kShampooWeightDecay : 0u;
  hyper = {static_cast<float>(beta1), static_cast<float>(1.0 - beta1), static_cast<float>(1.0 - lr * wd)};
}

// The bias-corrected momentum step: -lr / (1 - b1^t).
void OpSpec<math::ShampooApplyOp>::tensor_scalars(double t, bool, float* out) const {
  out[0] = static_cast<float>(scale);
  out[1] = static_cast<float>(-(lr / (1.0 - std::pow(beta1, t))));
}

int read_block_size(const Napi::Object& o) {
  const double b = read_number_field(o, "blockSize", kOwner);
  const bool power_of_two = b >= math::kMinQuantBlock && b <= math::kMaxQuantBlock && b == std::floor(b) &&
                            (static_cast<int64_t>(b) & (static_cast<int64_t>(b) - 1)) == 0;
  if (!power_of_two) {
    throw Error(code::kRange, "options.blockSize: expected a power of two from " + std::to_string(math::kMinQuantBlock) + " to " +
                                  std::to_string(math::kMaxQuantBlock) + ", got " + std::to_string(b));
  }
  return static_cast<int>(b);
}

void BlockwiseSpec<math::Adam8bitRule>::parse(const Napi::Object& o) {
  hyper = bnb_adam_hyper(o, &lr, &beta1, &beta2, &eps);
  block_size = read_block_size(o);
}

void BlockwiseSpec<math::Adam8bitRule>::tensor_scalars(double step, float* out) const {
  bnb_adam_scalars(lr, beta1, beta2, eps, step, out);
}

void BlockwiseSpec<math::Lion8bitRule>::parse(const Napi::Object& o) {
  const double lr = non_negative(o, "lr");
  const double beta1 = number_in(o, "beta1", 0, false, 1, false);
  const double beta2 = number_in(o, "beta2", 0, false, 1, false);
  const double wd = non_negative(o, "weightDecay");
  hyper.neg_lr = static_cast<float>(-lr);
  hyper.beta1 = static_cast<float>(beta1);
  hyper.one_minus_beta1 = static_cast<float>(1.0 - beta1);
  hyper.beta2 = static_cast<float>(beta2);
  hyper.one_minus_beta2 = static_cast<float>(1.0 - beta2);
  hyper.decay_factor = static_cast<float>(1.0 - lr * wd);
  hyper.grad_scale = static_cast<float>(read_number_field(o, "gradScale", kOwner));
  hyper.weight_decay = wd > 0 ? 1 : 0;
  block_size = read_block_size(o);
}

}  // namespace cuoptim
