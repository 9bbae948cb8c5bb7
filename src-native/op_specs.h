// src-native/op_specs.h — per optimizer: how its JS options become the kernel's Hyper, flags and
// per-tensor scalars, and what its state lists are called.
//
// parse() reads and range-checks every option (the TypeScript layer checks them too; this is the
// last line for direct native calls). Scalars are computed in double, as torch computes them in
// Python, and rounded to float once.
#pragma once

#include <napi.h>

#include "../kernels/op_args.h"

namespace cuoptim {

template <typename Op>
struct OpSpec;

template <>
struct OpSpec<math::AdamOp> {
  static constexpr const char* kStateNames[] = {"expAvg", "expAvgSq", "maxExpAvgSq"};
  math::AdamHyper hyper{};
  unsigned flags = 0;
  double lr = 0, beta1 = 0, beta2 = 0, weight_decay = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double step, bool fresh, float* out) const;
};

template <>
struct OpSpec<math::SgdOp> {
  static constexpr const char* kStateNames[] = {"momentumBuffer"};
  math::SgdHyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double step, bool fresh, float* out) const;
};

template <>
struct OpSpec<math::RmspropOp> {
  static constexpr const char* kStateNames[] = {"squareAvg", "gradAvg", "momentumBuffer"};
  math::RmspropHyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, bool, float*) const {}
};

template <>
struct OpSpec<math::LionOp> {
  static constexpr const char* kStateNames[] = {"expAvg"};
  math::LionHyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, bool, float*) const {}
};

template <>
struct OpSpec<math::AdamBnb32Op> {
  static constexpr const char* kStateNames[] = {"state1", "state2"};
  math::Adam8bitHyper hyper{};
  unsigned flags = 0;
  double lr = 0, beta1 = 0, beta2 = 0, eps = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double step, bool fresh, float* out) const;
};

template <>
struct OpSpec<math::EmaOp> {
  static constexpr const char* kStateNames[] = {nullptr};
  math::EmaHyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, bool, float*) const {}
};

template <>
struct OpSpec<math::CastOp> {
  static constexpr const char* kStateNames[] = {nullptr};
  math::CastHyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, bool, float*) const {}
};

template <>
struct OpSpec<math::Transform16Op> {
  static constexpr const char* kStateNames[] = {nullptr};
  math::CastHyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, bool, float*) const {}
};

template <>
struct OpSpec<math::AxpyOp> {
  static constexpr const char* kStateNames[] = {nullptr};
  math::CastHyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, bool, float*) const {}
};

template <>
struct OpSpec<math::RadamOp> {
  static constexpr const char* kStateNames[] = {"expAvg", "expAvgSq"};
  math::RadamHyper hyper{};
  unsigned flags = 0;
  double beta1 = 0, beta2 = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double step, bool fresh, float* out) const;
};

// NAdam keeps one float per param on the host (mu_product, torch's 0-dim float32 tensor):
// host_step() takes it before the step and returns it after.
template <>
struct OpSpec<math::NadamOp> {
  static constexpr const char* kStateNames[] = {"expAvg", "expAvgSq"};
  math::NadamHyper hyper{};
  unsigned flags = 0;
  double lr = 0, beta1 = 0, beta2 = 0, momentum_decay = 0;
  void parse(const Napi::Object& o);
  double host_step(double step, bool fresh, double mu_product, float* out) const;
};

template <>
struct OpSpec<math::AdamaxOp> {
  static constexpr const char* kStateNames[] = {"expAvg", "expInf"};
  math::AdamaxHyper hyper{};
  unsigned flags = 0;
  double lr = 0, beta1 = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double step, bool fresh, float* out) const;
};

template <>
struct OpSpec<math::AdagradOp> {
  static constexpr const char* kStateNames[] = {"sum"};
  math::AdagradHyper hyper{};
  unsigned flags = 0;
  double lr = 0, lr_decay = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double step, bool fresh, float* out) const;
};

template <>
struct OpSpec<math::AdaboundOp> {
  static constexpr const char* kStateNames[] = {"expAvg", "expAvgSq", "maxExpAvgSq"};
  math::AdaboundHyper hyper{};
  unsigned flags = 0;
  double lr = 0, beta1 = 0, beta2 = 0, final_lr = 0, gamma = 0, base_lr = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double step, bool fresh, float* out) const;
};

template <>
struct OpSpec<math::LookaheadOp> {
  static constexpr const char* kStateNames[] = {"slow"};
  math::LookaheadHyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, bool, float*) const {}
};

template <>
struct OpSpec<math::SophiaOp> {
  static constexpr const char* kStateNames[] = {"expAvg", "hessian"};
  math::SophiaHyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, bool, float*) const {}
};

template <>
struct OpSpec<math::SophiaHessianOp> {
  static constexpr const char* kStateNames[] = {"hessian"};
  math::SophiaHessianHyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, bool, float*) const {}
};

template <>
struct OpSpec<math::ShampooGraftOp> {
  static constexpr const char* kStateNames[] = {"expAvgSq"};
  math::ShampooGraftHyper hyper{};
  unsigned flags = 0;
  double beta2 = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double step, bool fresh, float* out) const;
};

template <>
struct OpSpec<math::ShampooApplyOp> {
  static constexpr const char* kStateNames[] = {"expAvg"};
  math::ShampooApplyHyper hyper{};
  unsigned flags = 0;
  double lr = 0, beta1 = 0, scale = 1;  // scale: options.scale (Shampoo calls once per param)
  void parse(const Napi::Object& o);
  void tensor_scalars(double step, bool fresh, float* out) const;
};

template <>
struct OpSpec<math::AdadeltaOp> {
  static constexpr const char* kStateNames[] = {"squareAvg", "accDelta"};
  math::AdadeltaHyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, bool, float*) const {}
};

template <>
struct OpSpec<math::RpropOp> {
  static constexpr const char* kStateNames[] = {"prev", "stepSize"};
  math::RpropHyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, bool, float*) const {}
};

// ASGD keeps eta per param on the host (torch's 0-dim float32 tensor): host_step() takes it
// before the step and returns it after.
template <>
struct OpSpec<math::AsgdOp> {
  static constexpr const char* kStateNames[] = {"ax"};
  math::AsgdHyper hyper{};
  unsigned flags = 0;
  double lr = 0, lambd = 0, alpha = 0, t0 = 0;
  void parse(const Napi::Object& o);
  double host_step(double step, bool fresh, double eta, float* out) const;
};

// LARS takes each param's trust ratio from the host (hostState, computed from the addon's norms)
// and returns it unchanged.
template <>
struct OpSpec<math::LarsOp> {
  static constexpr const char* kStateNames[] = {"momentumBuffer"};
  math::LarsHyper hyper{};
  unsigned flags = 0;
  double lr = 0;
  void parse(const Napi::Object& o);
  double host_step(double step, bool fresh, double trust, float* out) const;
};

// AdEMAMix (kernels/math/ademamix.cuh): α and β3 follow their warmup schedulers per step.
template <>
struct OpSpec<math::AdemamixOp> {
  static constexpr const char* kStateNames[] = {"m1", "m2", "nu"};
  math::AdemamixHyper hyper{};
  unsigned flags = 0;
  double beta1 = 0, beta2 = 0, beta3 = 0, alpha = 0, t_alpha = 0, t_beta3 = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double step, bool fresh, float* out) const;
};

// Schedule-Free SGD / AdamW (kernels/math/schedule_free.cuh): each param's averaging weight ckp1
// comes from the host (hostState, from the weights the TypeScript layer accumulates) and is
// returned unchanged; the step's lr (warmup, and AdamW's sqrt(1 - β2^t)) is formed here.
template <>
struct OpSpec<math::SgdScheduleFreeOp> {
  static constexpr const char* kStateNames[] = {"z"};
  math::ScheduleFreeHyper hyper{};
  unsigned flags = 0;
  double lr = 0, beta = 0, beta2 = 0, warmup_steps = 0;
  bool adam = false;
  void parse(const Napi::Object& o);
  double host_step(double step, bool fresh, double ckp1, float* out) const;
};

template <>
struct OpSpec<math::AdamwScheduleFreeOp> : OpSpec<math::SgdScheduleFreeOp> {
  static constexpr const char* kStateNames[] = {"z", "expAvgSq"};
  void parse(const Napi::Object& o);
};

template <>
struct OpSpec<math::ScheduleFreeModeOp> {
  static constexpr const char* kStateNames[] = {"z"};
  math::ScheduleFreeModeHyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, bool, float*) const {}
};

// LAMB (kernels/math/lamb.cuh), apex FusedLAMB: stage 1 takes the step's global-norm divisor
// (options.clip); stage 2 takes each param's ratio from the host (hostState) and returns it.
template <>
struct OpSpec<math::LambUpdateOp> {
  static constexpr const char* kStateNames[] = {"expAvg", "expAvgSq", "update"};
  math::LambHyper hyper{};
  unsigned flags = 0;
  bool bias_correction = true;
  void parse(const Napi::Object& o);
  void tensor_scalars(double step, bool fresh, float* out) const;
};

template <>
struct OpSpec<math::LambApplyOp> {
  static constexpr const char* kStateNames[] = {"update"};
  math::LambApplyHyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object&) {}
  double host_step(double step, bool fresh, double ratio, float* out) const;
};

// Muon (kernels/math/muon.cuh): muon_apply takes each param's shape-adjusted lr from the host
// (hostState) and returns it.
template <>
struct OpSpec<math::MuonMomentumOp> {
  static constexpr const char* kStateNames[] = {"momentumBuffer", "update"};
  math::MuonMomentumHyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, bool, float*) const {}
};

template <>
struct OpSpec<math::MuonApplyOp> {
  static constexpr const char* kStateNames[] = {"update"};
  math::MuonApplyHyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  double host_step(double step, bool fresh, double lr_adjusted, float* out) const;
};

// TensorFlow.js's optimizers (kernels/math/tfjs.cuh): every scalar arrives as tfjs computes it.
template <>
struct OpSpec<math::TfjsMomentumOp> {
  static constexpr const char* kStateNames[] = {"accumulation"};
  math::TfjsMomentumOp::Hyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, bool, float*) const {}
};

template <>
struct OpSpec<math::TfjsRmspropOp> {
  static constexpr const char* kStateNames[] = {"rms", "momentum", "mg"};
  math::TfjsRmspropOp::Hyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, bool, float*) const {}
};

template <>
struct OpSpec<math::TfjsAdagradOp> {
  static constexpr const char* kStateNames[] = {"accumulator"};
  math::TfjsAdagradOp::Hyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, bool, float*) const {}
};

template <>
struct OpSpec<math::TfjsAdadeltaOp> {
  static constexpr const char* kStateNames[] = {"accumGrad", "accumVar"};
  math::TfjsAdadeltaOp::Hyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, bool, float*) const {}
};

template <>
struct OpSpec<math::TfjsAdamOp> {
  static constexpr const char* kStateNames[] = {"m", "v"};
  math::TfjsAdamOp::Hyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, bool, float*) const {}
};

template <>
struct OpSpec<math::TfjsAdamaxOp> {
  static constexpr const char* kStateNames[] = {"m", "v"};
  math::TfjsAdamaxOp::Hyper hyper{};
  unsigned flags = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, bool, float*) const {}
};

// Blockwise 8-bit optimizers: parse() also reads blockSize.
template <typename Rule>
struct BlockwiseSpec;

template <>
struct BlockwiseSpec<math::Adam8bitRule> {
  static constexpr const char* kStateNames[] = {"state1", "state2"};
  static constexpr const char* kAbsmaxNames[] = {"absmax1", "absmax2"};
  math::Adam8bitHyper hyper{};
  int block_size = 256;
  double lr = 0, beta1 = 0, beta2 = 0, eps = 0;
  void parse(const Napi::Object& o);
  void tensor_scalars(double step, float* out) const;
};

template <>
struct BlockwiseSpec<math::Lion8bitRule> {
  static constexpr const char* kStateNames[] = {"state1"};
  static constexpr const char* kAbsmaxNames[] = {"absmax1"};
  math::Lion8bitHyper hyper{};
  int block_size = 256;
  void parse(const Napi::Object& o);
  void tensor_scalars(double, float*) const {}
};

// AdEMAMix8bit: AdEMAMix's options and scalars (OpSpec<AdemamixOp>), plus blockSize.
template <>
struct BlockwiseSpec<math::Ademamix8bitRule> {
  static constexpr const char* kStateNames[] = {"state1", "state2", "state3"};
  static constexpr const char* kAbsmaxNames[] = {"absmax1", "absmax2", "absmax3"};
  OpSpec<math::AdemamixOp> scalars;
  math::AdemamixHyper hyper{};
  int block_size = 256;
  void parse(const Napi::Object& o);
  void tensor_scalars(double step, float* out) const { scalars.tensor_scalars(step, false, out); }
};

// Reads options.blockSize: a power of two in [64, 4096].
int read_block_size(const Napi::Object& o);

}  // namespace cuoptim
