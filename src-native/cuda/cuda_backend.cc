// src-native/cuda/cuda_backend.cc — device discovery, memory and the op -> kernel dispatch.
// Errors go through kernels/cuda/cuda_errors.h (sticky ones lose the device for good).
#include "cuda_backend.h"

#include <cuda_runtime_api.h>

#include <cstdlib>
#include <string>

#include "../../kernels/cuda/cuda_errors.h"
#include "../../kernels/cuda/launchers.h"
#include "../../kernels/errors.h"

namespace cuoptim {
namespace cuda {

namespace {

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) throw_cuda_error(err, what);
}

// The oldest Linux driver each CUDA major version runs on (NVIDIA's CUDA compatibility table).
const char* driver_floor() {
  constexpr int major = CUDART_VERSION / 1000;
  return major >= 13 ? "580" : major == 12 ? "525" : "450";
}

std::string insufficient_driver_reason() {
  const std::string needs = "this build needs CUDA " + std::to_string(CUDART_VERSION / 1000) + "." +
                            std::to_string(CUDART_VERSION % 1000 / 10) + ", that is NVIDIA driver >= " + driver_floor();
  int driver = 0;  // the CUDA version the installed driver supports; 0 when there is no driver
  if (cudaDriverGetVersion(&driver) != cudaSuccess || driver == 0) return "no NVIDIA driver found (" + needs + ")";
  return "the NVIDIA driver supports CUDA " + std::to_string(driver / 1000) + "." + std::to_string(driver % 1000 / 10) +
         " only; " + needs;
}

std::string unavailable_reason(cudaError_t err) {
  switch (err) {
    case cudaErrorNoDevice: return "no CUDA device found";
    case cudaErrorInsufficientDriver: return insufficient_driver_reason();
    case cudaErrorSystemDriverMismatch: return "the NVIDIA kernel driver and user-space driver versions differ";
    default: return std::string("the CUDA runtime failed to start: ") + cudaGetErrorString(err);
  }
}

// CUOPTIM_CUDA_DEVICE: the device index (default 0), checked against the devices present.
bool read_device_index(int count, int* device, std::string* reason) {
  const char* v = std::getenv("CUOPTIM_CUDA_DEVICE");
  *device = 0;
  if (v == nullptr || *v == '\0') return true;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (*end != '\0' || end == v || n < 0 || n >= count) {
    *reason = std::string("CUOPTIM_CUDA_DEVICE: expected a device index from 0 to ") + std::to_string(count - 1) + ", got \"" + v + "\"";
    return false;
  }
  *device = static_cast<int>(n);
  return true;
}

// The debug switches (CUOPTIM_CUDA_SYNC, CUOPTIM_CUDA_CACHE) take 0 or 1.
bool switch_valid(const char* name, std::string* reason) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0' || std::string(v) == "0" || std::string(v) == "1") return true;
  *reason = std::string(name) + ": expected 0 or 1, got \"" + v + "\"";
  return false;
}

}  // namespace

void CudaBackend::init() const {
  std::call_once(once_, [this]() {
    const auto fail = [this](std::string why) {
      reason_ = std::move(why);
      cudaGetLastError();
    };
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess || count == 0) return fail(err != cudaSuccess ? unavailable_reason(err) : "no CUDA device found");
    std::string why;
    if (requested_ < 0) {
      if (!read_device_index(count, &device_, &why)) return fail(why);
    } else if (requested_ >= count) {
      return fail(name() + ": this machine has " + std::to_string(count) + " CUDA device" + (count == 1 ? "" : "s") +
                  " (cuda:0 to cuda:" + std::to_string(count - 1) + ")");
    } else {
      device_ = requested_;
    }
    if (!switch_valid("CUOPTIM_CUDA_SYNC", &why) || !switch_valid("CUOPTIM_CUDA_CACHE", &why)) return fail(why);
    const std::string which = "device " + std::to_string(device_);
    cudaDeviceProp prop;
    if (cudaSetDevice(device_) != cudaSuccess || cudaGetDeviceProperties(&prop, device_) != cudaSuccess) {
      return fail(which + " could not be opened");
    }
    const std::string arch = "sm_" + std::to_string(prop.major) + std::to_string(prop.minor);
    device_name_ = std::string(prop.name) + " (" + arch + ")";
    // A GPU this binary has no machine code or PTX for fails at its first launch; say so now.
    const cudaError_t image = probe_kernel_image();
    if (image == cudaErrorNoKernelImageForDevice || image == cudaErrorInvalidDeviceFunction || image == cudaErrorUnsupportedPtxVersion) {
      return fail(which + ", " + device_name_ + ": this build of cuoptim has no kernels it can run (built for CUDA architectures " +
                  CUOPTIM_CUDA_ARCH_LIST + " with CUDA " + std::to_string(CUDART_VERSION / 1000) + "." +
                  std::to_string(CUDART_VERSION % 1000 / 10) + "; rebuild with CUOPTIM_CUDA_ARCHS naming " + arch.substr(3) +
                  " where the toolkit supports it)");
    }
    if (image != cudaSuccess) return fail(which + ": loading a kernel failed: " + cudaGetErrorString(image));
    cudaStream_t s = nullptr;
    if (cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking) != cudaSuccess) return fail("could not create a stream on " + which);
    stream_ = s;
    device_name_ = "cuda:" + std::to_string(device_) + " " + device_name_;
    ok_ = true;
  });
}

int CudaBackend::count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
}

bool CudaBackend::available(std::string* reason) const {
  init();
  if (!ok_ && reason) *reason = reason_;
  return ok_;
}

std::string CudaBackend::describe() const {
  init();
  return ok_ ? device_name_ : reason_;
}

// Every entry point comes through here: the backend works, the device was not lost to a sticky
// error, and it is this thread's current device (a CUDA device is per host thread, and the
// caller's own code may have selected another).
void* CudaBackend::stream() const {
  init();
  if (!ok_) throw Error(code::kBackendUnavailable, name() + ": not available: " + reason_);
  const std::string lost = device_lost_reason();
  if (!lost.empty()) throw Error(code::kBackendUnavailable, lost);
  check(cudaSetDevice(device_), "select the device");
  return stream_;
}

void* CudaBackend::allocate(size_t bytes) {
  stream();
  return allocator_.allocate(bytes);
}

// Finalizers free from any thread: with the cache off (cudaFree) the device must be this one.
void CudaBackend::deallocate(void* ptr, size_t bytes) {
  if (!CachingAllocator::caching_enabled()) cudaSetDevice(device_);
  allocator_.deallocate(ptr, bytes);
}

// Paged state (bitsandbytes' paged optimizers): CUDA managed memory, outside the caching
// allocator. The driver migrates pages on demand and evicts them to the host when the device is
// oversubscribed; prefetch() brings a step's state over before its kernels run.
void* CudaBackend::allocate_paged(size_t bytes, bool* paged) {
  stream();
  void* p = nullptr;
  check(cudaMallocManaged(&p, bytes ? bytes : 1, cudaMemAttachGlobal), "managed allocation");
  *paged = true;
  return p;
}

void CudaBackend::deallocate_paged(void* ptr, size_t) {
  // Queued kernels may still use the pages; errors here have nowhere to go (a destructor).
  cudaSetDevice(device_);
  cudaStreamSynchronize(static_cast<cudaStream_t>(stream_));
  cudaFree(ptr);
  cudaGetLastError();
}

void CudaBackend::prefetch(const std::vector<std::pair<void*, size_t>>& buffers) {
  int concurrent = 0;
  // Without concurrent managed access (e.g. Windows) pages migrate on demand: nothing to do.
  cudaStream_t s = static_cast<cudaStream_t>(stream());
  if (cudaDeviceGetAttribute(&concurrent, cudaDevAttrConcurrentManagedAccess, device_) != cudaSuccess || !concurrent) {
    cudaGetLastError();
    return;
  }
  for (const auto& [ptr, bytes] : buffers) {
    if (!bytes) continue;
#if CUDART_VERSION >= 13000
    cudaMemLocation device{};
    device.type = cudaMemLocationTypeDevice;
    device.id = device_;
    check(cudaMemPrefetchAsync(ptr, bytes, device, 0, s), "prefetch");
#else
    check(cudaMemPrefetchAsync(ptr, bytes, device_, s), "prefetch");
#endif
  }
}

void CudaBackend::fill_zero(void* dst, size_t bytes) {
  if (bytes) check(cudaMemsetAsync(dst, 0, bytes, static_cast<cudaStream_t>(stream())), "memset");
}

// Pageable host memory: cudaMemcpyAsync returns once the source has been staged, so the JS
// array may change right after; the device side completes in stream order.
void CudaBackend::upload(void* dst, const void* src, size_t bytes) {
  if (bytes) check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, static_cast<cudaStream_t>(stream())), "upload");
}

void CudaBackend::download(void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  cudaStream_t s = static_cast<cudaStream_t>(stream());
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, s), "download");
  check(cudaStreamSynchronize(s), "download (synchronize)");
}

void CudaBackend::copy(void* dst, const void* src, size_t bytes) {
  if (bytes) check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, static_cast<cudaStream_t>(stream())), "copy");
}

void CudaBackend::synchronize() { check(cudaStreamSynchronize(static_cast<cudaStream_t>(stream())), "synchronize"); }

#define CUOPTIM_KERNEL_OP(name, Op) \
  void CudaBackend::name(const ElementwiseArgs<Op>& args) { cuda::fused_##name(args, stream()); }
CUOPTIM_ELEMENTWISE_OPS(CUOPTIM_KERNEL_OP)
#undef CUOPTIM_KERNEL_OP
#define CUOPTIM_KERNEL_OP(name, Rule) \
  void CudaBackend::name(const BlockwiseArgs<Rule>& args) { cuda::fused_##name(args, stream()); }
CUOPTIM_BLOCKWISE_OPS(CUOPTIM_KERNEL_OP)
#undef CUOPTIM_KERNEL_OP

void CudaBackend::quantize_blockwise(const QuantizeArgs& args) { cuda::quantize_blockwise(args, stream()); }
void CudaBackend::dequantize_blockwise(const QuantizeArgs& args) { cuda::dequantize_blockwise(args, stream()); }

void CudaBackend::grad_norm_partials(const NormArgs& args, std::vector<double>* partials) {
  device_norm_partials(*this, args, partials, [&](const NormArgs& a) { cuda::grad_norm_partials(a, stream()); });
}

void CudaBackend::transform(const TransformArgs& args) { cuda::transform_tensors(args, stream()); }
void CudaBackend::fold_ranks(const FoldArgs& args) { cuda::fold_ranks(args, stream()); }
void CudaBackend::gemm(const math::GemmArgs& g) { cuda::gemm(g, stream()); }
void CudaBackend::gemm_batched(const math::GemmBatch& b) { cuda::gemm_batched(b, stream()); }
void CudaBackend::add_diagonal(float* base, int64_t n, int64_t ld, float value) { cuda::add_diagonal(base, n, ld, value, stream()); }

void CudaBackend::capturable_adam_advance(const CapturableRecord& r) { cuda::capturable_adam_advance(r, stream()); }

// A whole step as one CUDA graph: the kernels this thread enqueues on the backend's stream
// between begin and end are recorded (thread-local mode: other threads' CUDA calls are not
// disturbed), instantiated once and relaunched by replay().
void CudaBackend::begin_capture() {
  check(cudaStreamBeginCapture(static_cast<cudaStream_t>(stream()), cudaStreamCaptureModeThreadLocal), "begin graph capture");
}

void* CudaBackend::end_capture() {
  cudaGraph_t graph = nullptr;
  check(cudaStreamEndCapture(static_cast<cudaStream_t>(stream()), &graph), "end graph capture");
  cudaGraphExec_t exec = nullptr;
  const cudaError_t err = cudaGraphInstantiate(&exec, graph, 0ULL);
  cudaGraphDestroy(graph);
  check(err, "instantiate graph");
  return exec;
}

void CudaBackend::replay(void* graph) {
  check(cudaGraphLaunch(static_cast<cudaGraphExec_t>(graph), static_cast<cudaStream_t>(stream())), "graph launch");
}

void CudaBackend::destroy_graph(void* graph) {
  // Called from a finalizer: errors have nowhere to go.
  cudaSetDevice(device_);
  cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(graph));
  cudaGetLastError();
}

// Each tensor's workspace comes with it (adafactor_op.cc allocates them before the step).
void CudaBackend::adafactor(const AdafactorArgs& args) {
  cuda::adafactor(args, stream());
}

void CudaBackend::kernel_selftest(const char* name, const float* in, float* out, int* scratch, int n, int block, int flag) {
  cuda::kernel_selftest(name, in, out, scratch, n, block, flag, stream());
}

}  // namespace cuda
}  // namespace cuoptim
