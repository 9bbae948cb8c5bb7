// kernels/math/tfjs.cuh — TensorFlow.js's optimizers, per element, in tfjs-core 4.x's order of
// operations (tfjs-core/src/optimizers/*_optimizer.ts), so the bits are those of tfjs's cpu
// backend: every tfjs op is one float32 operation, rounded once, and so is every line here
// (no fused multiply-adds). Scalars tfjs computes as float32 tensors once per step (the beta
// powers, Adamax's decayed lr) are computed on the host the same way and passed in.
//
//   sgd        p <- c*g + p                                           c = -lr
//   momentum   a <- m*a + g ; p <- c*a + p   (nesterov: p <- c*(g + a*m) + p)
//   rmsprop    s <- s*d + g²*(1 - d)
//              centered: mg <- mg*d + g*(1 - d) ; mom <- mom*μ + g*lr / sqrt(s - (mg² + eps))
//              else:     mom <- mom*μ + g*lr / sqrt(s + eps)
//              p <- p - mom
//   adagrad    a <- a + g² ; p <- (g / sqrt(a + eps)) * (-lr) + p
//   adadelta   u <- sqrt(au + eps) / sqrt(ag + eps) * g      (ag before this step's update)
//              ag <- ag*ρ + g²*(1 - ρ) ; au <- au*ρ + u²*(1 - ρ) ; p <- u*(-lr) + p
//   adam       m <- m*β1 + g*(1 - β1) ; v <- v*β2 + g²*(1 - β2)
//              p <- (m/(1 - β1ᵗ)) / (sqrt(v/(1 - β2ᵗ)) + eps) * (-lr) + p
//   adamax     m <- m*β1 + g*(1 - β1) ; u <- max(u*β2, |g|) ; p <- k * (m / (u + eps)) + p
//              k = (-lr / (iteration*decay + 1)) / (1 - β1ᵗ)
// g is first multiplied by grad_scale (1 unless clipping or loss scaling is fused in).
#pragma once

#include "common.cuh"

namespace cuoptim {
namespace math {

// --- sgd and momentum (tf.train.sgd, tf.train.momentum) ---------------------------------------
enum TfjsMomentumFlags : unsigned {
  kTfjsMomentum = 1u << 0,  // keeps the accumulation (tf.train.momentum)
  kTfjsNesterov = 1u << 1,
  kTfjsMomentumFlagCount = 1u << 2,
};

struct TfjsMomentumHyper {
  float c;  // -lr
  float momentum;
  float grad_scale;
};

// State: accumulation (momentum only).
struct TfjsMomentumOp {
  using Hyper = TfjsMomentumHyper;
  static constexpr int kStates = 1;
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = kTfjsMomentumFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned flags, int) { return (flags & kTfjsMomentum) != 0; }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float*) {
    g = g * h.grad_scale;
    if (!(flags & kTfjsMomentum)) {
      p = h.c * g + p;
      return;
    }
    const float a = h.momentum * s[0] + g;
    s[0] = a;
    p = (flags & kTfjsNesterov) ? h.c * (g + a * h.momentum) + p : h.c * a + p;
  }
};

// --- rmsprop (tf.train.rmsprop) ---------------------------------------------------------------
enum TfjsRmspropFlags : unsigned {
  kTfjsRmspropCentered = 1u << 0,
  kTfjsRmspropFlagCount = 1u << 1,
};

struct TfjsRmspropHyper {
  float lr;
  float decay;
  float one_minus_decay;
  float momentum;
  float eps;
  float grad_scale;
};

// States: rms (the mean square), momentum, mg (the mean gradient, centered only).
struct TfjsRmspropOp {
  using Hyper = TfjsRmspropHyper;
  static constexpr int kStates = 3;
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = kTfjsRmspropFlagCount;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned flags, int k) {
    return k < 2 || (flags & kTfjsRmspropCentered) != 0;
  }
  CUOPTIM_MATH_FN void update(unsigned flags, float& p, float g, float* s, const Hyper& h, const float*) {
    g = g * h.grad_scale;
    const float ms = s[0] * h.decay + (g * g) * h.one_minus_decay;
    float denominator;
    if (flags & kTfjsRmspropCentered) {
      const float mg = s[2] * h.decay + g * h.one_minus_decay;
      s[2] = mg;
      denominator = sqrtf(ms - (mg * mg + h.eps));
    } else {
      denominator = sqrtf(ms + h.eps);
    }
    const float mom = s[1] * h.momentum + (g * h.lr) / denominator;
    s[0] = ms;
    s[1] = mom;
    p = p - mom;
  }
};

// --- adagrad (tf.train.adagrad) ---------------------------------------------------------------
struct TfjsAdagradHyper {
  float neg_lr;
  float eps;
  float grad_scale;
};

// State: accumulator (starts at initialAccumulatorValue).
struct TfjsAdagradOp {
  using Hyper = TfjsAdagradHyper;
  static constexpr int kStates = 1;
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = 1;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned, float& p, float g, float* s, const Hyper& h, const float*) {
    g = g * h.grad_scale;
    const float a = s[0] + g * g;
    s[0] = a;
    p = (g / sqrtf(a + h.eps)) * h.neg_lr + p;
  }
};

// --- adadelta (tf.train.adadelta) -------------------------------------------------------------
struct TfjsAdadeltaHyper {
  float neg_lr;
  float rho;
  float one_minus_rho;
  float eps;
  float grad_scale;
};

// States: accumGrad, accumVar.
struct TfjsAdadeltaOp {
  using Hyper = TfjsAdadeltaHyper;
  static constexpr int kStates = 2;
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = 1;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned, float& p, float g, float* s, const Hyper& h, const float*) {
    g = g * h.grad_scale;
    // tfjs takes the update's denominator from the accumulated gradient before this step's.
    const float u = (sqrtf(s[1] + h.eps) / sqrtf(s[0] + h.eps)) * g;
    s[0] = s[0] * h.rho + (g * g) * h.one_minus_rho;
    s[1] = s[1] * h.rho + (u * u) * h.one_minus_rho;
    p = u * h.neg_lr + p;
  }
};

// --- adam (tf.train.adam) ---------------------------------------------------------------------
struct TfjsAdamHyper {
  float neg_lr;
  float beta1;
  float one_minus_beta1;
  float beta2;
  float one_minus_beta2;
  float one_minus_acc_beta1;  // 1 - β1ᵗ, tfjs's float32 running power
  float one_minus_acc_beta2;
  float eps;
  float grad_scale;
};

// States: m, v.
struct TfjsAdamOp {
  using Hyper = TfjsAdamHyper;
  static constexpr int kStates = 2;
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = 1;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned, float& p, float g, float* s, const Hyper& h, const float*) {
    g = g * h.grad_scale;
    const float m = s[0] * h.beta1 + g * h.one_minus_beta1;
    const float v = s[1] * h.beta2 + (g * g) * h.one_minus_beta2;
    s[0] = m;
    s[1] = v;
    const float m_hat = m / h.one_minus_acc_beta1;
    const float v_hat = v / h.one_minus_acc_beta2;
    p = (m_hat / (sqrtf(v_hat) + h.eps)) * h.neg_lr + p;
  }
};

// --- adamax (tf.train.adamax) -----------------------------------------------------------------
struct TfjsAdamaxHyper {
  float step_size;  // (-lr / (iteration*decay + 1)) / (1 - β1ᵗ), in tfjs's float32 steps
  float beta1;
  float one_minus_beta1;
  float beta2;
  float eps;
  float grad_scale;
};

// States: m, v (the weighted infinity norm).
struct TfjsAdamaxOp {
  using Hyper = TfjsAdamaxHyper;
  static constexpr int kStates = 2;
  static constexpr int kTensorScalars = 0;
  static constexpr unsigned kFlagCount = 1;
  static constexpr bool kReadsGrad = true;
  __host__ __device__ static constexpr bool uses_state(unsigned, int) { return true; }
  CUOPTIM_MATH_FN void update(unsigned, float& p, float g, float* s, const Hyper& h, const float*) {
    g = g * h.grad_scale;
    const float m = s[0] * h.beta1 + g * h.one_minus_beta1;
    const float u = nan_max(s[1] * h.beta2, fabsf(g));
    s[0] = m;
    s[1] = u;
    p = h.step_size * (m / (u + h.eps)) + p;
  }
};

}  // namespace math
}  // namespace cuoptim
