// kernels/math/elementwise.cuh — the element-wise optimizers every backend runs, as one list.
//
// An element-wise optimizer is a struct ("Op") with:
//   Hyper                       POD of uniform scalars (one param group's options, as floats)
//   kStates                     state tensors per param, in a fixed order
//   kTensorScalars              floats that differ per tensor (step-dependent, host-computed)
//   kFlagCount                  the variant flags are < kFlagCount (the cpu backend compiles
//                               one loop per flag set)
//   kReadsGrad                  false for ops that take no gradient (its list is left empty)
//   uses_state(flags, k)        whether state k is read and written under these flags
//   update(flags, p, g, s, h, ts)   the per-element update of param p (and states s[]) from g
// The CUDA functor (kernels/cuda/elementwise.cuh) and the cpu loop (src-native/cpu/kernels.inl)
// are written once for every Op, for float32 and 16-bit storage alike (half.cuh: each list's
// values are widened on load and rounded once on store, so update() only sees float32); CUOPTIM_ELEMENTWISE_OPS lists them, so adding an optimizer is
// adding its math header and one line here.
#pragma once

#include "adabound.cuh"
#include "adadelta.cuh"
#include "adagrad.cuh"
#include "adam8bit.cuh"
#include "adamax.cuh"
#include "adamw.cuh"
#include "ademamix.cuh"
#include "asgd.cuh"
#include "cast.cuh"
#include "ema.cuh"
#include "half.cuh"
#include "lamb.cuh"
#include "lars.cuh"
#include "lion.cuh"
#include "lookahead.cuh"
#include "muon.cuh"
#include "nadam.cuh"
#include "radam.cuh"
#include "rmsprop.cuh"
#include "rprop.cuh"
#include "schedule_free.cuh"
#include "sgd.cuh"
#include "shampoo.cuh"
#include "sophia.cuh"
#include "tfjs.cuh"

// X(name, Op): `name` names the backend method, the CUDA launcher (fused_<name>) and the op
// string the TypeScript layer passes.
#define CUOPTIM_ELEMENTWISE_OPS(X) \
  X(adam, ::cuoptim::math::AdamOp)   \
  X(sgd, ::cuoptim::math::SgdOp)     \
  X(rmsprop, ::cuoptim::math::RmspropOp) \
  X(lion, ::cuoptim::math::LionOp)         \
  X(adam_bnb32, ::cuoptim::math::AdamBnb32Op) \
  X(ema, ::cuoptim::math::EmaOp)           \
  X(radam, ::cuoptim::math::RadamOp)       \
  X(nadam, ::cuoptim::math::NadamOp)       \
  X(adamax, ::cuoptim::math::AdamaxOp)     \
  X(adagrad, ::cuoptim::math::AdagradOp)   \
  X(adabound, ::cuoptim::math::AdaboundOp) \
  X(sophia, ::cuoptim::math::SophiaOp)     \
  X(sophia_hessian, ::cuoptim::math::SophiaHessianOp) \
  X(shampoo_graft, ::cuoptim::math::ShampooGraftOp) \
  X(shampoo_apply, ::cuoptim::math::ShampooApplyOp) \
  X(lookahead, ::cuoptim::math::LookaheadOp) \
  X(tfjs_momentum, ::cuoptim::math::TfjsMomentumOp) \
  X(tfjs_rmsprop, ::cuoptim::math::TfjsRmspropOp) \
  X(tfjs_adagrad, ::cuoptim::math::TfjsAdagradOp) \
  X(tfjs_adadelta, ::cuoptim::math::TfjsAdadeltaOp) \
  X(tfjs_adam, ::cuoptim::math::TfjsAdamOp) \
  X(tfjs_adamax, ::cuoptim::math::TfjsAdamaxOp) \
  X(adadelta, ::cuoptim::math::AdadeltaOp) \
  X(rprop, ::cuoptim::math::RpropOp) \
  X(asgd, ::cuoptim::math::AsgdOp) \
  X(lars, ::cuoptim::math::LarsOp) \
  X(ademamix, ::cuoptim::math::AdemamixOp) \
  X(sgd_schedule_free, ::cuoptim::math::SgdScheduleFreeOp) \
  X(adamw_schedule_free, ::cuoptim::math::AdamwScheduleFreeOp) \
  X(schedule_free_mode, ::cuoptim::math::ScheduleFreeModeOp) \
  X(lamb_update, ::cuoptim::math::LambUpdateOp) \
  X(lamb_apply, ::cuoptim::math::LambApplyOp) \
  X(muon_momentum, ::cuoptim::math::MuonMomentumOp) \
  X(muon_apply, ::cuoptim::math::MuonApplyOp) \
  X(cast, ::cuoptim::math::CastOp) \
  X(transform16, ::cuoptim::math::Transform16Op) \
  X(axpy, ::cuoptim::math::AxpyOp)
