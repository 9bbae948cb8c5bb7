// src-native/cuda/cuda_errors.cc — CUDA errors as CuoptimErrors; the sticky ones lose the device.
#include "../../kernels/cuda/cuda_errors.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "../../kernels/errors.h"

namespace cuoptim {
namespace cuda {

namespace {

// Errors after which the context cannot be used again (CUDA runtime API, cudaError_t: "the
// process must be terminated and relaunched").
bool is_sticky(cudaError_t err) {
  switch (err) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorAssert:
    case cudaErrorLaunchTimeout:
    case cudaErrorECCUncorrectable:
    case cudaErrorContextIsDestroyed:
      return true;
    default:
      return false;
  }
}

struct LostState {
  std::atomic<bool> lost{false};
  std::mutex mutex;
  std::string reason;
};

LostState& lost_state() {
  static LostState* s = new LostState();  // never destroyed: finalizers may run at exit
  return *s;
}

}  // namespace

void throw_cuda_error(cudaError_t err, const std::string& what) {
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  const std::string detail = std::string(cudaGetErrorName(err)) + " (" + cudaGetErrorString(err) + ")";
  if (is_sticky(err)) {
    LostState& s = lost_state();
    std::string first;
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      if (s.reason.empty()) {
        s.reason = "cuda: the device is unusable since " + what + " failed with " + detail +
                   ": a CUDA context does not recover from this error, so restart the process" +
                   (sync_after_launch() ? "" : "; CUOPTIM_CUDA_SYNC=1 names the kernel that faulted");
      }
      first = s.reason;
    }
    s.lost.store(true, std::memory_order_release);
    throw Error(code::kKernel, first);
  }
  throw Error(err == cudaErrorMemoryAllocation ? code::kOutOfMemory : code::kKernel, "cuda: " + what + ": " + detail);
}

std::string device_lost_reason() {
  LostState& s = lost_state();
  if (!s.lost.load(std::memory_order_acquire)) return std::string();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.reason;
}

bool sync_after_launch() {
  static const bool on = [] {
    const char* v = std::getenv("CUOPTIM_CUDA_SYNC");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  return on;
}

void check_launch(const char* kernel, cudaStream_t stream) {
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) throw_cuda_error(err, std::string("the launch of ") + kernel);
  if (!sync_after_launch()) return;
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  err = cudaStreamIsCapturing(stream, &capture);
  if (err != cudaSuccess) throw_cuda_error(err, std::string("the launch of ") + kernel);
  if (capture != cudaStreamCaptureStatusNone) return;  // recorded, not run: it runs at replay
  err = cudaStreamSynchronize(stream);
  if (err != cudaSuccess) throw_cuda_error(err, std::string("kernel ") + kernel + " (CUOPTIM_CUDA_SYNC=1 waited for it)");
}

}  // namespace cuda
}  // namespace cuoptim
