// src-native/backends.cc — which backends this build has, by device name.
#include "backend.h"
#include "cpu/cpu_backend.h"

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

Backend* backend_for(DeviceKind kind) {
  static cpu::CpuBackend cpu_backend;
  switch (kind) {
    case DeviceKind::Cpu: return &cpu_backend;
    default: return nullptr;
  }
}

}  // namespace cuoptim
