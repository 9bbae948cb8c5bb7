// src-native/tensor_wrap.cc — Tensor construction, host transfers, zero-copy views and free().
#include "tensor_wrap.h"

#include <mutex>
#include <unordered_set>

#include "backend.h"
#include "binding_util.h"
#include "../kernels/math/half.cuh"

namespace cuoptim {

namespace {

// The element type a typed array must have to carry this dtype's values: 16-bit tensors take a
// Uint16Array of raw bits, or a Float32Array (rounded to nearest-even on the way in, widened on
// the way out).
bool typed_array_matches(const Napi::TypedArray& a, DType dtype) {
  switch (dtype) {
    case DType::F32: return a.TypedArrayType() == napi_float32_array;
    case DType::U8: return a.TypedArrayType() == napi_uint8_array;
    case DType::BF16:
    case DType::F16: return a.TypedArrayType() == napi_uint16_array || a.TypedArrayType() == napi_float32_array;
  }
  return false;
}

const char* typed_array_name(DType dtype) {
  return dtype == DType::F32 ? "a Float32Array" : dtype == DType::U8 ? "a Uint8Array" : "a Float32Array (values) or a Uint16Array (raw bits)";
}

// A 16-bit tensor's values from / to float32 on the host (kernels/math/half.cuh).
void round_to_half(DType dtype, const float* src, uint16_t* dst, size_t n) {
  if (dtype == DType::BF16) {
    for (size_t i = 0; i < n; ++i) dst[i] = math::f32_to_bf16(src[i]);
  } else {
    for (size_t i = 0; i < n; ++i) dst[i] = math::f32_to_f16(src[i]);
  }
}
void widen_half(DType dtype, const uint16_t* src, float* dst, size_t n) {
  if (dtype == DType::BF16) {
    for (size_t i = 0; i < n; ++i) dst[i] = math::bf16_to_f32(src[i]);
  } else {
    for (size_t i = 0; i < n; ++i) dst[i] = math::f16_to_f32(src[i]);
  }
}

// Every live TensorWrap, process-wide: napi_unwrap hands back whatever pointer an object was
// wrapped with (by any addon), so a pointer is trusted only once found here. Cheaper than a type
// tag check on the hot path (one hash lookup per tensor per step), and spoof-proof, unlike
// instanceof (an object made from Tensor.prototype passes that without wrapping anything).
// Never destroyed: finalizers may run during process teardown.
struct Registry {
  std::recursive_mutex mutex;  // recursive: a getter run by napi_get_element may create a Tensor
  std::unordered_set<const void*> live;
};
Registry& registry() {
  static Registry* r = new Registry();
  return *r;
}

// The pointer an object was wrapped with (by any addon), or null; napi_unwrap refuses
// non-objects itself.
void* wrapped_pointer(const Napi::Value& v) {
  void* w = nullptr;
  return napi_unwrap(v.Env(), v, &w) == napi_ok ? w : nullptr;
}

}  // namespace

Napi::Function TensorWrap::define(Napi::Env env) {
  return DefineClass(env, "Tensor",
                     {
                         InstanceAccessor<&TensorWrap::device>("device"),
                         InstanceAccessor<&TensorWrap::dtype>("dtype"),
                         InstanceAccessor<&TensorWrap::shape>("shape"),
                         InstanceAccessor<&TensorWrap::numel>("numel"),
                         InstanceAccessor<&TensorWrap::bytes>("bytes"),
                         InstanceAccessor<&TensorWrap::freed>("freed"),
                         InstanceAccessor<&TensorWrap::role>("role"),
                         InstanceAccessor<&TensorWrap::paged>("paged"),
                         InstanceMethod<&TensorWrap::set_role>("setRole"),
                         InstanceMethod<&TensorWrap::upload>("upload"),
                         InstanceMethod<&TensorWrap::download>("download"),
                         InstanceMethod<&TensorWrap::copy_from>("copyFrom"),
                         InstanceMethod<&TensorWrap::zero>("zero"),
                         InstanceMethod<&TensorWrap::view>("view"),
                         InstanceMethod<&TensorWrap::free>("free"),
                     });
}

bool TensorWrap::is_tensor(const Napi::Value& v) { return wrapper(v) != nullptr; }

TensorWrap* TensorWrap::wrapper(const Napi::Value& v) {
  Batch batch;
  return batch.wrapper(v);
}

TensorWrap::Batch::Batch() : lock_(registry().mutex) {}

TensorWrap* TensorWrap::Batch::wrapper(const Napi::Value& v) const {
  void* w = wrapped_pointer(v);
  return w && registry().live.count(w) ? static_cast<TensorWrap*>(w) : nullptr;
}

void TensorWrap::report_external(Napi::Env env, int64_t bytes) {
  external_bytes_ = bytes;
  if (bytes) Napi::MemoryManagement::AdjustExternalMemory(env, bytes);
}

void TensorWrap::forget_external(Napi::Env env) {
  if (external_bytes_) Napi::MemoryManagement::AdjustExternalMemory(env, -external_bytes_);
  external_bytes_ = 0;
}

TensorWrap::~TensorWrap() {
  forget_external(Env());
  Registry& r = registry();
  std::lock_guard<std::recursive_mutex> lock(r.mutex);
  r.live.erase(this);
}

Tensor& TensorWrap::unwrap(const Napi::Value& v, const std::string& name) {
  return unwrap_at(v, [&] { return name; });
}

// new Tensor(device, dtype, shape[, role[, paged]]) — zero-filled; paged asks for paged memory
// (Backend::allocate_paged: managed memory on cuda, ordinary memory elsewhere).
TensorWrap::TensorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorWrap>(info) {
  guarded(info, [&]() -> Napi::Value {
    Backend& backend = usable_backend(read_string(info[0], "device"));
    DType dtype;
    const std::string dtype_arg = read_string(info[1], "dtype");
    if (!parse_dtype(dtype_arg, &dtype)) {
      throw_arg(code::kDtype, "dtype", "\"float32\", \"bfloat16\", \"float16\" or \"uint8\", got \"" + dtype_arg + "\"");
    }
    std::vector<int64_t> shape = read_shape(info[2], "shape");
    Role role = Role::Other;
    if (info.Length() > 3 && !info[3].IsUndefined()) {
      const std::string r = read_string(info[3], "role");
      if (!parse_role(r.c_str(), &role)) throw_arg(code::kInvalidArgument, "role", "other|params|grads|state");
    }
    const bool paged = info.Length() > 4 && !info[4].IsUndefined() && read_bool(info[4], "paged");
    tensor_ = std::make_unique<Tensor>(backend, dtype, std::move(shape), role, paged);
    report_external(info.Env(), static_cast<int64_t>(tensor_->bytes()));
    Registry& r = registry();
    std::lock_guard<std::recursive_mutex> lock(r.mutex);
    r.live.insert(this);
    return info.Env().Undefined();
  });
}

Tensor& TensorWrap::live(const char* what) {
  if (!tensor_ || tensor_->freed()) {
    throw Error(code::kFreed, std::string(what) + ": the tensor has been freed");
  }
  return *tensor_;
}

Napi::Value TensorWrap::device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), tensor_ ? tensor_->backend().name() : "none");
}

Napi::Value TensorWrap::dtype(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), tensor_ ? dtype_name(tensor_->dtype()) : "none");
}

Napi::Value TensorWrap::shape(const Napi::CallbackInfo& info) {
  Napi::Array a = Napi::Array::New(info.Env());
  if (!tensor_) return a;
  const auto& s = tensor_->shape();
  for (size_t i = 0; i < s.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), static_cast<double>(s[i])));
  return a;
}

Napi::Value TensorWrap::numel(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), tensor_ ? static_cast<double>(tensor_->numel()) : 0.0);
}

Napi::Value TensorWrap::bytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), tensor_ ? static_cast<double>(tensor_->bytes()) : 0.0);
}

Napi::Value TensorWrap::freed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !tensor_ || tensor_->freed());
}

Napi::Value TensorWrap::paged(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), tensor_ && tensor_->storage() && tensor_->storage()->paged());
}

Napi::Value TensorWrap::role(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), tensor_ ? role_name(tensor_->role()) : "other");
}

Napi::Value TensorWrap::set_role(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Tensor& t = live("setRole");
    Role role;
    const std::string r = read_string(info[0], "role");
    if (!parse_role(r.c_str(), &role)) throw_arg(code::kInvalidArgument, "role", "other|params|grads|state, got \"" + r + "\"");
    t.set_role(role);
    return info.Env().Undefined();
  });
}

// upload(typedArray): copies host values in; the array's type and length must match.
Napi::Value TensorWrap::upload(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Tensor& t = live("upload");
    if (!info[0].IsTypedArray() || !typed_array_matches(info[0].As<Napi::TypedArray>(), t.dtype())) {
      throw_arg(code::kDtype, "data", std::string(typed_array_name(t.dtype())) + " for a " + dtype_name(t.dtype()) + " tensor");
    }
    Napi::TypedArray a = info[0].As<Napi::TypedArray>();
    if (static_cast<int64_t>(a.ElementLength()) != t.numel()) {
      throw Error(code::kShape, "data: expected " + std::to_string(t.numel()) + " elements (the shape's numel), got " +
                                    std::to_string(a.ElementLength()));
    }
    const uint8_t* src = static_cast<const uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
    if (is_half(t.dtype()) && a.TypedArrayType() == napi_float32_array) {
      std::vector<uint16_t> bits(static_cast<size_t>(t.numel()));
      round_to_half(t.dtype(), reinterpret_cast<const float*>(src), bits.data(), bits.size());
      t.backend().upload(t.data(), bits.data(), t.bytes());
      return info.Env().Undefined();
    }
    t.backend().upload(t.data(), src, t.bytes());
    return info.Env().Undefined();
  });
}

// download(typedArray): copies values out (waits for queued work on the device).
Napi::Value TensorWrap::download(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Tensor& t = live("download");
    if (!info[0].IsTypedArray() || !typed_array_matches(info[0].As<Napi::TypedArray>(), t.dtype())) {
      throw_arg(code::kDtype, "out", std::string(typed_array_name(t.dtype())) + " for a " + dtype_name(t.dtype()) + " tensor");
    }
    Napi::TypedArray a = info[0].As<Napi::TypedArray>();
    if (static_cast<int64_t>(a.ElementLength()) != t.numel()) {
      throw Error(code::kShape, "out: expected " + std::to_string(t.numel()) + " elements, got " +
                                    std::to_string(a.ElementLength()));
    }
    uint8_t* dst = static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
    if (is_half(t.dtype()) && a.TypedArrayType() == napi_float32_array) {
      std::vector<uint16_t> bits(static_cast<size_t>(t.numel()));
      t.backend().download(bits.data(), t.data(), t.bytes());
      widen_half(t.dtype(), bits.data(), reinterpret_cast<float*>(dst), bits.size());
      return info.Env().Undefined();
    }
    t.backend().download(dst, t.data(), t.bytes());
    return info.Env().Undefined();
  });
}

// copyFrom(other): same dtype and numel, any devices (through the host when they differ).
Napi::Value TensorWrap::copy_from(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Tensor& dst = live("copyFrom");
    Tensor& src = unwrap(info[0], "source");
    if (src.dtype() != dst.dtype()) {
      throw Error(code::kDtype, std::string("source: expected dtype ") + dtype_name(dst.dtype()) + ", got " + dtype_name(src.dtype()));
    }
    if (src.numel() != dst.numel()) {
      throw Error(code::kShape, "source: expected " + std::to_string(dst.numel()) + " elements, got " + std::to_string(src.numel()));
    }
    if (&src == &dst) return info.Env().Undefined();
    if (&src.backend() == &dst.backend()) {
      dst.backend().copy(dst.data(), src.data(), dst.bytes());
    } else {
      std::vector<uint8_t> staging(dst.bytes());
      src.backend().download(staging.data(), src.data(), src.bytes());
      dst.backend().upload(dst.data(), staging.data(), dst.bytes());
    }
    return info.Env().Undefined();
  });
}

Napi::Value TensorWrap::zero(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Tensor& t = live("zero");
    t.backend().fill_zero(t.data(), t.bytes());
    return info.Env().Undefined();
  });
}

// view(): a typed array over the tensor's own memory (host-accessible devices only). The view
// keeps the storage alive; free() detaches it so it can no longer reach freed memory.
Napi::Value TensorWrap::view(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Tensor& t = live("view");
    if (!t.backend().host_accessible()) {
      throw Error(code::kDevice, std::string("data: zero-copy views exist only for cpu tensors; this one is on ") +
                                     t.backend().name() + " (use toArray())");
    }
    if (!view_.IsEmpty()) {
      Napi::Value cached = view_.Value();
      if (!cached.IsEmpty() && cached.IsTypedArray()) return cached;
    }
    auto* keep = new std::shared_ptr<Storage>(t.storage());
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(
        env, t.data(), t.bytes(), [](Napi::Env, void*, std::shared_ptr<Storage>* hint) { delete hint; }, keep);
    Napi::TypedArray view;
    if (t.dtype() == DType::F32) {
      view = Napi::Float32Array::New(env, static_cast<size_t>(t.numel()), ab, 0);
    } else if (is_half(t.dtype())) {
      view = Napi::Uint16Array::New(env, static_cast<size_t>(t.numel()), ab, 0);
    } else {
      view = Napi::Uint8Array::New(env, static_cast<size_t>(t.numel()), ab, 0);
    }
    view_ = Napi::Weak(view.As<Napi::Object>());
    return view;
  });
}

void TensorWrap::detach_view() {
  if (view_.IsEmpty()) return;
  Napi::Value cached = view_.Value();
  if (!cached.IsEmpty() && cached.IsTypedArray()) {
    Napi::ArrayBuffer ab = cached.As<Napi::TypedArray>().ArrayBuffer();
    if (!ab.IsDetached()) ab.Detach();
  }
  view_.Reset();
}

Napi::Value TensorWrap::free(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (tensor_ && !tensor_->freed()) {
      detach_view();
      tensor_->release();
      forget_external(info.Env());
    }
    return info.Env().Undefined();
  });
}

}  // namespace cuoptim
