// src-native/cpu/adafactor_rows.inl — the per-element work of Adafactor's passes, one row of a
// tile at a time, compiled once per ISA (included by kernels.inl inside its ISA namespace).
//
// adafactor.cc walks tiles in the CUDA kernels' order and owns every reduction across lanes; a
// row kernel handles the n contiguous lanes of one row and keeps each lane's running sums, which
// is exactly what one CUDA thread does, so vectorising across lanes changes no result. The math's
// per-element branches (variant, weight decay, first moment) are template arguments: each
// instantiation works on a local copy of the hyper-parameters whose flags are constants, so the
// branches fold away and the loops vectorise.

// The hyper-parameters with the flags an instantiation fixes. CAME's stats and RMS(U) passes take
// the transformers path: the math tells the variants apart only as torch or not.
template <bool kTorch>
math::AdafactorHyper fixed_variant(const math::AdafactorHyper& hyper) {
  math::AdafactorHyper h = hyper;
  h.variant = kTorch ? math::kAdafactorTorch : math::kAdafactorTransformers;
  return h;
}

// Pass 1, one row: q = g² (+ eps1) per lane into q[], its column sums into col_acc[], p² into
// p2[]; vectors (not factored) also take their moving average here.
template <bool kFactored, bool kTorch>
void adafactor_stats_row(const AdafactorRowArgs& a, const math::AdafactorHyper& hyper, const math::AdafactorStepScalars& step,
                         double* __restrict p2, double* __restrict col_acc, double* __restrict q) {
  const math::AdafactorHyper h = fixed_variant<kTorch>(hyper);
  const float* __restrict param = a.param;
  const float* __restrict grad = a.grad;
  float* __restrict variance = a.variance;
  for (int k = 0; k < a.n; ++k) {
    const float p = param[k];
    p2[k] += static_cast<double>(p) * p;
    const float qv = math::adafactor_q(math::adafactor_grad(grad[k], h), h);
    q[k] = qv;
    col_acc[k] += qv;
    if (!kFactored) variance[k] = math::adafactor_ema(variance[k], qv, h, step);
  }
}

// The unclipped update U of lane k (factored: from the row and column statistics; for
// transformers and CAME, from the row and column factors computed once, the same floats).
template <bool kFactored>
inline float adafactor_row_u(const AdafactorRowArgs& a, int k, const math::AdafactorHyper& h) {
  const float g = math::adafactor_grad(a.grad[k], h);
  if (kFactored && h.variant != math::kAdafactorTorch) return math::adafactor_u_factors(g, a.row_factor, a.col_factor[k]);
  return kFactored ? math::adafactor_u(g, a.row, a.col[k], a.r_mean, true, h) : math::adafactor_u(g, a.variance[k], 0.f, 0.f, false, h);
}

// Pass 3, one row: U² per lane into u2[].
template <bool kFactored, bool kTorch>
void adafactor_rms_row(const AdafactorRowArgs& a, const math::AdafactorHyper& hyper, double* __restrict u2) {
  const math::AdafactorHyper h = fixed_variant<kTorch>(hyper);
  for (int k = 0; k < a.n; ++k) {
    const float u = adafactor_row_u<kFactored>(a, k, h);
    u2[k] += static_cast<double>(u) * u;
  }
}

// Pass 4, one row: the param (and first moment) update.
template <bool kFactored, bool kTorch, bool kMoment, bool kDecay>
void adafactor_update_row(const AdafactorRowArgs& a, const math::AdafactorHyper& hyper, const math::AdafactorTensorScalars& scalars) {
  math::AdafactorHyper h = fixed_variant<kTorch>(hyper);
  h.first_moment = kMoment;
  h.weight_decay = kDecay;
  const math::AdafactorTensorScalars sc = scalars;
  float* __restrict param = a.param;
  float* __restrict exp_avg = a.exp_avg;
  for (int k = 0; k < a.n; ++k) {
    const float u = adafactor_row_u<kFactored>(a, k, h);
    float m = kMoment ? exp_avg[k] : 0.f;
    math::adafactor_apply(param[k], m, u, h, sc);
    if (kMoment) exp_avg[k] = m;
  }
}

// CAME pass 5, one row: the first moment from the clipped U, and the instability per lane into
// res[] and its column sums into col_acc[].
template <bool kFactored>
void came_res_row(const AdafactorRowArgs& a, const math::AdafactorHyper& hyper, const math::AdafactorTensorScalars& scalars,
                  double* __restrict col_acc, double* __restrict res) {
  const math::AdafactorHyper h = fixed_variant<false>(hyper);
  const math::AdafactorTensorScalars sc = scalars;
  float* __restrict exp_avg = a.exp_avg;
  for (int k = 0; k < a.n; ++k) {
    float m = exp_avg[k];
    const float v = math::came_moment_and_res(adafactor_row_u<kFactored>(a, k, h), m, h, sc);
    exp_avg[k] = m;
    res[k] = v;
    col_acc[k] += v;
  }
}

// CAME pass 7, one row: the param update (factored: the row and column factors are those of the
// instability's statistics S_r, T_c and mean_r(S)).
template <bool kFactored, bool kDecay>
void came_update_row(const AdafactorRowArgs& a, const math::AdafactorHyper& hyper) {
  math::AdafactorHyper h = hyper;
  h.weight_decay = kDecay;
  float* __restrict param = a.param;
  const float* __restrict exp_avg = a.exp_avg;
  const float* __restrict col_factor = a.col_factor;
  for (int k = 0; k < a.n; ++k) {
    if (kFactored) math::came_apply_u(param[k], math::adafactor_u_factors(exp_avg[k], a.row_factor, col_factor[k]), h);
    else math::came_apply(param[k], exp_avg[k], 0.f, 0.f, 0.f, false, h);
  }
}

// The tables, indexed as kernel_table.h's adafactor_row_index says.
template <size_t... kI>
constexpr std::array<AdafactorStatsRowFn, sizeof...(kI)> adafactor_stats_rows(std::index_sequence<kI...>) {
  return {{&adafactor_stats_row<(kI & 1) != 0, (kI & 2) != 0>...}};
}
template <size_t... kI>
constexpr std::array<AdafactorRmsRowFn, sizeof...(kI)> adafactor_rms_rows(std::index_sequence<kI...>) {
  return {{&adafactor_rms_row<(kI & 1) != 0, (kI & 2) != 0>...}};
}
template <size_t... kI>
constexpr std::array<AdafactorUpdateRowFn, sizeof...(kI)> adafactor_update_rows(std::index_sequence<kI...>) {
  return {{&adafactor_update_row<(kI & 1) != 0, (kI & 2) != 0, (kI & 4) != 0, (kI & 8) != 0>...}};
}
template <size_t... kI>
constexpr std::array<CameResRowFn, sizeof...(kI)> came_res_rows(std::index_sequence<kI...>) {
  return {{&came_res_row<(kI & 1) != 0>...}};
}
template <size_t... kI>
constexpr std::array<CameUpdateRowFn, sizeof...(kI)> came_update_rows(std::index_sequence<kI...>) {
  return {{&came_update_row<(kI & 1) != 0, (kI & 8) != 0>...}};
}
