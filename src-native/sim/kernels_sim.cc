// src-native/sim/kernels_sim.cc — kernels/cuda/*.cu compiled by the host compiler against the
// simulator, for the cuda-sim backend (namespace cuoptim::sim). The element-wise launchers are
// expanded from kernels/math/elementwise.cuh's list, as CMakeLists.txt does for nvcc;
// test/build.test.ts checks that every other kernels/cuda/*.cu is included here.
#include "../../kernels/sim/cuda_sim.h"

#include "../../kernels/cuda/launchers.h"
#include "../../kernels/cuda/elementwise.cuh"
#include "../../kernels/cuda/adafactor.cu"
#include "../../kernels/cuda/adam8bit.cu"
#include "../../kernels/cuda/capturable.cu"
#include "../../kernels/cuda/fold.cu"
#include "../../kernels/cuda/gemm.cu"
#include "../../kernels/cuda/grad_norm.cu"
#include "../../kernels/cuda/quantize_blockwise.cu"
#include "../../kernels/cuda/selftest.cu"

CUOPTIM_ELEMENTWISE_OPS(CUOPTIM_DEFINE_ELEMENTWISE_LAUNCHER)
