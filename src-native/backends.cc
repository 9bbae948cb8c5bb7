// src-native/backends.cc — which backends this build has, by device name.
#include "backend.h"

#include <map>
#include <mutex>
#include <utility>

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
  static Backend* const sim_backend = new sim::SimBackend(0);
#ifdef CUOPTIM_WITH_CUDA
  static Backend* const cuda_backend = new cuda::CudaBackend(-1);
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

namespace {

// The backends of devices other than a kind's default one, made on first use.
struct OtherDevices {
  std::mutex mutex;
  std::map<std::pair<int, int>, Backend*> backends;  // (kind, index)
};

OtherDevices& other_devices() {
  static OtherDevices* o = new OtherDevices();  // never destroyed, like the backends
  return *o;
}

Backend* other_device(DeviceKind kind, int index, const std::function<Backend*()>& make) {
  OtherDevices& o = other_devices();
  std::lock_guard<std::mutex> lock(o.mutex);
  Backend*& slot = o.backends[{static_cast<int>(kind), index}];
  if (!slot) slot = make();
  return slot;
}

// "kind" or "kind:N" (N a decimal index without leading zeros); false when malformed.
bool parse_device_name(const std::string& name, DeviceKind* kind, int* index) {
  const size_t colon = name.find(':');
  if (!parse_device(name.substr(0, colon), kind)) return false;
  *index = -1;
  if (colon == std::string::npos) return true;
  const std::string digits = name.substr(colon + 1);
  if (*kind == DeviceKind::Cpu || digits.empty() || digits.size() > 6 || (digits.size() > 1 && digits[0] == '0')) return false;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  *index = std::stoi(digits);
  return true;
}

}  // namespace

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

DeviceLookup look_up_device(const std::string& name, const std::string& arg) {
  DeviceKind kind;
  int index;
  if (!parse_device_name(name, &kind, &index)) {
    throw Error(code::kDevice, arg + ": expected \"cpu\", \"cuda-sim\", \"cuda\", \"cuda-sim:N\" or \"cuda:N\", got \"" + name + "\"");
  }
  DeviceLookup out;
  out.name = name;
  Backend* backend = backend_for(kind);
  if (index >= 0 && kind == DeviceKind::CudaSim) {
    if (index >= kSimDevices) {
      out.reason = "the simulator has " + std::to_string(kSimDevices) + " devices (cuda-sim:0 to cuda-sim:" + std::to_string(kSimDevices - 1) + ")";
      return out;
    }
    if (index > 0) backend = other_device(kind, index, [index]() -> Backend* { return new sim::SimBackend(index); });
  }
#ifdef CUOPTIM_WITH_CUDA
  if (index >= 0 && kind == DeviceKind::Cuda) {
    auto* fallback = static_cast<cuda::CudaBackend*>(backend);
    const int count = cuda::CudaBackend::count();
    if (count == 0) {
      out.reason = unavailable_reason(kind);
      if (out.reason.empty()) out.reason = "no CUDA device found";
      return out;
    }
    if (index >= count) {
      out.reason = "this machine has " + std::to_string(count) + " CUDA device" + (count == 1 ? "" : "s") + " (cuda:0 to cuda:" + std::to_string(count - 1) + ")";
      return out;
    }
    // The default device under its index is the default backend itself ("cuda").
    if (!(fallback->available(nullptr) && fallback->device() == index)) {
      backend = other_device(kind, index, [index]() -> Backend* { return new cuda::CudaBackend(index); });
    }
  }
#endif
  if (!backend) {
    out.reason = unavailable_reason(kind);
    return out;
  }
  out.name = backend->name();
  std::string reason;
  if (!backend->available(&reason)) {
    out.reason = reason;
    return out;
  }
  out.backend = backend;
  return out;
}

Backend& usable_backend(const std::string& name, const std::string& arg) {
  const DeviceLookup d = look_up_device(name, arg);
  if (!d.backend) throw Error(code::kBackendUnavailable, arg + ": \"" + name + "\" is not available: " + d.reason);
  return *d.backend;
}

int device_count(DeviceKind kind) {
  if (!unavailable_reason(kind).empty()) return 0;
  switch (kind) {
    case DeviceKind::Cpu: return 1;
    case DeviceKind::CudaSim: return kSimDevices;
    case DeviceKind::Cuda:
#ifdef CUOPTIM_WITH_CUDA
      return cuda::CudaBackend::count();
#else
      return 0;
#endif
  }
  return 0;
}

}  // namespace cuoptim
