// src-native/op_specs_tfjs.cc — option parsing for TensorFlow.js's optimizers
// (kernels/math/tfjs.cuh). tfjs rounds every scalar to float32 as it makes it a tensor, so each
// is rounded once here from the double the JS side computed (1 - beta is computed in double, as
// tfjs's `1 - this.beta1`); the running beta powers and Adamax's step size arrive as tfjs's
// float32 values (src-ts/tfjs/semantics.ts).
#include "binding_util.h"
#include "op_spec_fields.h"
#include "op_specs.h"

namespace cuoptim {

namespace {

float grad_scale(const Napi::Object& o) { return static_cast<float>(read_number_field(o, "gradScale", kOwner)); }
float f32(double v) { return static_cast<float>(v); }
double in_unit(const Napi::Object& o, const char* key) { return number_in(o, key, 0, false, 1, false); }

}  // namespace

void OpSpec<math::TfjsMomentumOp>::parse(const Napi::Object& o) {
  hyper.c = f32(-non_negative(o, "lr"));
  hyper.momentum = f32(non_negative(o, "momentum"));
  hyper.grad_scale = grad_scale(o);
  flags = (flag(o, "useMomentum") ? math::kTfjsMomentum : 0u) | (flag(o, "nesterov") ? math::kTfjsNesterov : 0u);
}

void OpSpec<math::TfjsRmspropOp>::parse(const Napi::Object& o) {
  const double decay = in_unit(o, "decay");
  hyper.lr = f32(non_negative(o, "lr"));
  hyper.decay = f32(decay);
  hyper.one_minus_decay = f32(1.0 - decay);
  hyper.momentum = f32(non_negative(o, "momentum"));
  hyper.eps = f32(non_negative(o, "eps"));
  hyper.grad_scale = grad_scale(o);
  flags = flag(o, "centered") ? math::kTfjsRmspropCentered : 0u;
}

void OpSpec<math::TfjsAdagradOp>::parse(const Napi::Object& o) {
  hyper.neg_lr = f32(-non_negative(o, "lr"));
  hyper.eps = f32(non_negative(o, "eps"));
  hyper.grad_scale = grad_scale(o);
}

void OpSpec<math::TfjsAdadeltaOp>::parse(const Napi::Object& o) {
  const double rho = in_unit(o, "rho");
  hyper.neg_lr = f32(-non_negative(o, "lr"));
  hyper.rho = f32(rho);
  hyper.one_minus_rho = f32(1.0 - rho);
  hyper.eps = f32(non_negative(o, "eps"));
  hyper.grad_scale = grad_scale(o);
}

void OpSpec<math::TfjsAdamOp>::parse(const Napi::Object& o) {
  const double beta1 = in_unit(o, "beta1"), beta2 = in_unit(o, "beta2");
  hyper.neg_lr = f32(-non_negative(o, "lr"));
  hyper.beta1 = f32(beta1);
  hyper.one_minus_beta1 = f32(1.0 - beta1);
  hyper.beta2 = f32(beta2);
  hyper.one_minus_beta2 = f32(1.0 - beta2);
  hyper.one_minus_acc_beta1 = f32(number_in(o, "oneMinusAccBeta1", 0, true, 1, false));
  hyper.one_minus_acc_beta2 = f32(number_in(o, "oneMinusAccBeta2", 0, true, 1, false));
  hyper.eps = f32(non_negative(o, "eps"));
  hyper.grad_scale = grad_scale(o);
}

void OpSpec<math::TfjsAdamaxOp>::parse(const Napi::Object& o) {
  const double beta1 = in_unit(o, "beta1");
  hyper.step_size = f32(read_number_field(o, "stepSize", kOwner));
  hyper.beta1 = f32(beta1);
  hyper.one_minus_beta1 = f32(1.0 - beta1);
  hyper.beta2 = f32(in_unit(o, "beta2"));
  hyper.eps = f32(non_negative(o, "eps"));
  hyper.grad_scale = grad_scale(o);
}

}  // namespace cuoptim
