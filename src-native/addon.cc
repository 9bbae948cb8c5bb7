// src-native/addon.cc — module init: the Tensor class, the ops, and the runtime queries
// (backends, memory statistics, cpu threads and ISA).
#include <napi.h>

#include "backend.h"
#include "binding_util.h"
#include "cpu/kernel_table.h"
#include "cpu/thread_pool.h"
#include "adafactor_op.h"
#include "dist_ops.h"
#include "linalg_ops.h"
#include "norm_ops.h"
#include "ops.h"
#include "quant_ops.h"
#include "selftest_op.h"
#include "tensor_wrap.h"

namespace cuoptim {

namespace {

Napi::Value set_error_factory(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "setErrorFactory: expected a function");
  addon_data(info.Env()).error_factory = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

// backends() -> [{name, available, reason?}] for every device kind, built or not.
Napi::Value backends(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
  for (int i = 0; i < kDeviceKindCount; ++i) {
    const auto kind = static_cast<DeviceKind>(i);
    const std::string reason = unavailable_reason(kind);
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("name", device_name(kind));
    entry.Set("available", reason.empty());
    if (!reason.empty()) entry.Set("reason", reason);
    out.Set(static_cast<uint32_t>(i), entry);
  }
  return out;
}

Backend& backend_arg(const Napi::Value& v) { return usable_backend(read_string(v, "device")); }

// deviceInfo(name) -> {name, available, reason?}: one device, "cuda:N" included; name is the
// backend's own ("cuda:0" is "cuda" when 0 is the default device).
Napi::Value device_info(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const DeviceLookup d = look_up_device(read_string(info[0], "device"));
    Napi::Object entry = Napi::Object::New(info.Env());
    entry.Set("name", d.name);
    entry.Set("available", d.backend != nullptr);
    if (!d.backend) entry.Set("reason", d.reason);
    return entry;
  });
}

// deviceCount(kind) -> the devices of "cuda" or "cuda-sim" this process can use.
Napi::Value device_count_of(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const std::string name = read_string(info[0], "kind");
    DeviceKind kind;
    if (!parse_device(name, &kind)) throw_arg(code::kDevice, "kind", "\"cpu\", \"cuda-sim\" or \"cuda\", got \"" + name + "\"");
    return Napi::Number::New(info.Env(), device_count(kind));
  });
}

Napi::Value memory_stats(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const MemorySnapshot m = backend_arg(info[0]).memory().snapshot();
    Napi::Object current = Napi::Object::New(env), peak = Napi::Object::New(env);
    for (int r = 0; r < kRoleCount; ++r) {
      const auto role = static_cast<Role>(r);
      current.Set(role_name(role), static_cast<double>(m.current[r]));
      peak.Set(role_name(role), static_cast<double>(m.peak[r]));
    }
    current.Set("total", static_cast<double>(m.current_total));
    peak.Set("total", static_cast<double>(m.peak_total));
    current.Set("paged", static_cast<double>(m.current_paged));
    peak.Set("paged", static_cast<double>(m.peak_paged));
    Napi::Object out = Napi::Object::New(env);
    out.Set("current", current);
    out.Set("peak", peak);
    return out;
  });
}

Napi::Value reset_peak_memory_stats(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    backend_arg(info[0]).memory().reset_peak();
    return info.Env().Undefined();
  });
}

Napi::Value synchronize(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    backend_arg(info[0]).synchronize();
    return info.Env().Undefined();
  });
}

// prefetch(tensors): moves the paged ones to their device ahead of a step (cuda; else a no-op).
Napi::Value prefetch(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Array list = read_array(info[0], "tensors");
    std::vector<std::pair<void*, size_t>> buffers;
    Backend* backend = nullptr;
    for (uint32_t i = 0; i < list.Length(); ++i) {
      Tensor& t = TensorWrap::unwrap(list.Get(i), "tensors[" + std::to_string(i) + "]");
      if (backend && &t.backend() != backend) throw Error(code::kDevice, "tensors[" + std::to_string(i) + "]: expected every tensor on one device");
      backend = &t.backend();
      if (t.storage()->paged()) buffers.emplace_back(t.data(), t.bytes());
    }
    CallScope::ensure_live();
    if (backend && !buffers.empty()) backend->prefetch(buffers);
    return info.Env().Undefined();
  });
}

Napi::Value num_threads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), cpu::pool_size());
}

Napi::Value set_num_threads(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    cpu::set_pool_size(static_cast<int>(read_whole(info[0], "threads", 1, 1024)));
    return info.Env().Undefined();
  });
}

Napi::Value cpu_isa(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), cpu::kernels().isa);
}

Napi::Value set_cpu_isa(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const std::string name = read_string(info[0], "isa");
    if (!cpu::set_isa(name.c_str())) {
      throw Error(code::kBackendUnavailable, "isa: \"" + name + "\" is not one of avx512|avx2|baseline supported by this CPU");
    }
    return info.Env().Undefined();
  });
}

}  // namespace

Napi::Object init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData(data);
  Napi::Function tensor_class = TensorWrap::define(env);
  data->tensor_class = Napi::Persistent(tensor_class);
  exports.Set("Tensor", tensor_class);
  exports.Set("setErrorFactory", Napi::Function::New(env, set_error_factory, "setErrorFactory"));
  exports.Set("backends", Napi::Function::New(env, backends, "backends"));
  exports.Set("deviceInfo", Napi::Function::New(env, device_info, "deviceInfo"));
  exports.Set("deviceCount", Napi::Function::New(env, device_count_of, "deviceCount"));
  exports.Set("memoryStats", Napi::Function::New(env, memory_stats, "memoryStats"));
  exports.Set("resetPeakMemoryStats", Napi::Function::New(env, reset_peak_memory_stats, "resetPeakMemoryStats"));
  exports.Set("synchronize", Napi::Function::New(env, synchronize, "synchronize"));
  exports.Set("prefetch", Napi::Function::New(env, prefetch, "prefetch"));
  exports.Set("numThreads", Napi::Function::New(env, num_threads, "numThreads"));
  exports.Set("setNumThreads", Napi::Function::New(env, set_num_threads, "setNumThreads"));
  exports.Set("cpuIsa", Napi::Function::New(env, cpu_isa, "cpuIsa"));
  exports.Set("setCpuIsa", Napi::Function::New(env, set_cpu_isa, "setCpuIsa"));
  register_ops(env, exports);
  register_quant_ops(env, exports);
  register_adafactor_op(env, exports);
  register_linalg_ops(env, exports);
  register_norm_ops(env, exports);
  register_selftest_op(env, exports);
  register_dist_ops(env, exports);
  return exports;
}

}  // namespace cuoptim

static Napi::Object init_addon(Napi::Env env, Napi::Object exports) { return cuoptim::init(env, exports); }

NODE_API_MODULE(cuoptim, init_addon)
