// src-native/backends.cc — which backends this build has, by device name.
#include "backend.h"
#include "../kernels/errors.h"
#include "cpu/cpu_backend.h"
#include "sim/sim_backend.h"
#ifdef CUOPTIM_WITH_CUDA
#include "cuda/cuda_backend.h"
#endif

namespace cuoptim {

namespace {
const char* const kDeviceNames[kDeviceKindCount] = {"cpu", "cuda-sim", "cuda"};
}

const char* device_name(DeviceKind kind) { return kDeviceNames[static_cast<int>(kind)]; }

bool parse_device(const std::string& name, DeviceKind* out) {
  for (int i = 0; i < kDeviceKindCount; ++i) {
    if (name == kDeviceNames[i]) {
      *out = static_cast<DeviceKind>(i);
      return true;
    }
  }
  return false;
}

const float* Backend::dynamic_map(bool is_signed) {
  void*& slot = maps_[is_signed ? 1 : 0];
  if (!slot) {
    float host[math::kCodeCount];
    math::dynamic_map(is_signed, host);
    void* device = allocate(sizeof(host));
    upload(device, host, sizeof(host));
    slot = device;
  }
  return static_cast<const float*>(slot);
}

void device_norm_partials(Backend& backend, const NormArgs& grads, std::vector<double>* partials,
                          const std::function<void(const NormArgs&)>& launch) {
  NormArgs args = grads;
  args.lists.depth = 2;
  int64_t total = 0;
  std::vector<int64_t> offsets;
  for (int64_t n : grads.lists.numel) {
    offsets.push_back(total);
    total += (n + kNormChunk - 1) / kNormChunk;
  }
  partials->assign(static_cast<size_t>(total), 0.0);
  if (total == 0) return;
  const size_t bytes = static_cast<size_t>(total) * sizeof(double);
  double* device = static_cast<double*>(backend.allocate(bytes));
  try {
    for (size_t t = 0; t < offsets.size(); ++t) args.lists.ptrs[t][1] = device + offsets[t];
    launch(args);
    backend.download(partials->data(), device, bytes);
  } catch (...) {
    backend.deallocate(device, bytes);
    throw;
  }
  backend.deallocate(device, bytes);
}

void Backend::kernel_selftest(const char*, const float*, float*, int*, int, int, int) {
  throw Error(code::kNotImplemented, std::string("kernel self-tests run on cuda and cuda-sim, not on ") + device_name(kind()));
}

namespace {
[[noreturn]] void no_graphs(DeviceKind kind) {
  throw Error(code::kNotImplemented, std::string("CUDA graphs are captured on cuda, not on ") + device_name(kind) +
                                         " (captureStep() runs the step directly there)");
}
}  // namespace

void Backend::begin_capture() { no_graphs(kind()); }
void* Backend::end_capture() { no_graphs(kind()); }
void Backend::replay(void*) { no_graphs(kind()); }
void Backend::destroy_graph(void*) {}

// Backends live for the whole process (never destroyed, so tensors finalized late in shutdown
// still find theirs).
Backend* backend_for(DeviceKind kind) {
  static Backend* const cpu_backend = new cpu::CpuBackend();
  static Backend* const sim_backend = new sim::SimBackend();
#ifdef CUOPTIM_WITH_CUDA
  static Backend* const cuda_backend = new cuda::CudaBackend();
#else
  static Backend* const cuda_backend = nullptr;
#endif
  switch (kind) {
    case DeviceKind::Cpu: return cpu_backend;
    case DeviceKind::CudaSim: return sim_backend;
    case DeviceKind::Cuda: return cuda_backend;
  }
  return nullptr;
}

}  // namespace cuoptim

namespace cuoptim {

std::string unavailable_reason(DeviceKind kind) {
  Backend* b = backend_for(kind);
#ifdef CUOPTIM_CUDA_ABSENT_REASON
  if (!b) return CUOPTIM_CUDA_ABSENT_REASON;
#else
  if (!b) return "this build of cuoptim does not include it";
#endif
  std::string reason;
  return b->available(&reason) ? std::string() : reason;
}

Backend& usable_backend(const std::string& name, const std::string& arg) {
  DeviceKind kind;
  if (!parse_device(name, &kind)) {
    throw Error(code::kDevice, arg + ": expected one of \"cpu\", \"cuda-sim\", \"cuda\", got \"" + name + "\"");
  }
  const std::string reason = unavailable_reason(kind);
  if (!reason.empty()) throw Error(code::kBackendUnavailable, arg + ": \"" + name + "\" is not available: " + reason);
  return *backend_for(kind);
}

}  // namespace cuoptim
