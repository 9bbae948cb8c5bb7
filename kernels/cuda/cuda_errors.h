// kernels/cuda/cuda_errors.h — how the cuda backend reports a CUDA error (its launches and its
// runtime calls alike), and the debug switch that synchronises after every launch.
//
// A kernel fault (illegal address, launch failure, a trap) is sticky: the CUDA context is
// unusable from then on and every later runtime call returns the same error. The first report
// says so and names what failed; from then on every cuda entry point refuses at once with
// ERR_BACKEND_UNAVAILABLE and that first message, instead of failing each call cryptically.
// Kernels run asynchronously, so a fault normally surfaces at a later call; CUOPTIM_CUDA_SYNC=1
// synchronises after each launch, so the error names the kernel that faulted.
#pragma once

#include <cuda_runtime_api.h>

#include <string>

namespace cuoptim {
namespace cuda {

// Throws the CuoptimError for `err` (ERR_OUT_OF_MEMORY, ERR_KERNEL), naming `what`; a sticky
// error also marks the device lost for the rest of the process.
[[noreturn]] void throw_cuda_error(cudaError_t err, const std::string& what);

// The message of the sticky error that lost the device, or empty while it works.
std::string device_lost_reason();

// CUOPTIM_CUDA_SYNC=1 (read once per process): synchronise after every launch.
bool sync_after_launch();

// Checks a launch (and, under CUOPTIM_CUDA_SYNC=1, waits for it unless the stream is being
// captured into a graph), naming the kernel in any error.
void check_launch(const char* kernel, cudaStream_t stream);

// Whether this binary holds code the current GPU runs: cudaFuncGetAttributes on one kernel
// (kernels/cuda/selftest.cu), cudaErrorNoKernelImageForDevice when it was built for other GPUs.
cudaError_t probe_kernel_image();

}  // namespace cuda
}  // namespace cuoptim
