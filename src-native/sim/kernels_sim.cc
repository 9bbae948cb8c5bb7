// src-native/sim/kernels_sim.cc — kernels/cuda/*.cu compiled by the host compiler against the
// simulator, for the cuda-sim backend (namespace cuoptim::sim).
#include "../../kernels/sim/cuda_sim.h"

#include "../../kernels/cuda/launchers.h"
#include "../../kernels/cuda/adafactor.cu"
#include "../../kernels/cuda/adam8bit.cu"
#include "../../kernels/cuda/fused_adam_bnb32.cu"
#include "../../kernels/cuda/fused_adamw.cu"
#include "../../kernels/cuda/fused_ema.cu"
#include "../../kernels/cuda/fused_lion.cu"
#include "../../kernels/cuda/fused_rmsprop.cu"
#include "../../kernels/cuda/fused_sgd.cu"
#include "../../kernels/cuda/grad_norm.cu"
#include "../../kernels/cuda/quantize_blockwise.cu"
#include "../../kernels/cuda/selftest.cu"
