// src-native/cuda/cuda_backend.cc — device discovery, memory and the op -> kernel dispatch.
#include "cuda_backend.h"

#include <cuda_runtime_api.h>

#include <string>

#include "../../kernels/cuda/launchers.h"
#include "../../kernels/errors.h"

namespace cuoptim {
namespace cuda {

namespace {

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw Error(err == cudaErrorMemoryAllocation ? code::kOutOfMemory : code::kKernel,
                std::string("cuda: ") + what + ": " + cudaGetErrorString(err));
  }
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

}  // namespace

void CudaBackend::init() const {
  std::call_once(once_, [this]() {
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess || count == 0) {
      reason_ = err != cudaSuccess ? unavailable_reason(err) : "no CUDA device found";
      cudaGetLastError();
      return;
    }
    cudaDeviceProp prop;
    if (cudaSetDevice(0) != cudaSuccess || cudaGetDeviceProperties(&prop, 0) != cudaSuccess) {
      reason_ = "device 0 could not be opened";
      cudaGetLastError();
      return;
    }
    cudaStream_t s = nullptr;
    if (cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking) != cudaSuccess) {
      reason_ = "could not create a stream on device 0";
      cudaGetLastError();
      return;
    }
    stream_ = s;
    device_name_ = std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ")";
    ok_ = true;
  });
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

void* CudaBackend::stream() const {
  init();
  if (!ok_) throw Error(code::kBackendUnavailable, "cuda: not available: " + reason_);
  return stream_;
}

void* CudaBackend::allocate(size_t bytes) {
  stream();
  return allocator_.allocate(bytes);
}

void CudaBackend::deallocate(void* ptr, size_t bytes) { allocator_.deallocate(ptr, bytes); }

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
  cudaStreamSynchronize(static_cast<cudaStream_t>(stream_));
  cudaFree(ptr);
  cudaGetLastError();
}

void CudaBackend::prefetch(const std::vector<std::pair<void*, size_t>>& buffers) {
  int concurrent = 0;
  // Without concurrent managed access (e.g. Windows) pages migrate on demand: nothing to do.
  if (cudaDeviceGetAttribute(&concurrent, cudaDevAttrConcurrentManagedAccess, 0) != cudaSuccess || !concurrent) {
    cudaGetLastError();
    return;
  }
  cudaStream_t s = static_cast<cudaStream_t>(stream());
  for (const auto& [ptr, bytes] : buffers) {
    if (!bytes) continue;
#if CUDART_VERSION >= 13000
    cudaMemLocation device{};
    device.type = cudaMemLocationTypeDevice;
    device.id = 0;
    check(cudaMemPrefetchAsync(ptr, bytes, device, 0, s), "prefetch");
#else
    check(cudaMemPrefetchAsync(ptr, bytes, 0, s), "prefetch");
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
  cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(graph));
  cudaGetLastError();
}

// Each tensor's workspace comes with it (adafactor_op.cc allocates them before the step).
void CudaBackend::adafactor(const AdafactorArgs& args) {
  for (const AdafactorTensor& t : args.tensors) cuda::adafactor_tensor(t, args.hyper, t.workspace, stream());
}

void CudaBackend::kernel_selftest(const char* name, const float* in, float* out, int* scratch, int n, int block, int flag) {
  cuda::kernel_selftest(name, in, out, scratch, n, block, flag, stream());
}

}  // namespace cuda
}  // namespace cuoptim
