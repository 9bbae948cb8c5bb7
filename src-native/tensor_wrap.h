// src-native/tensor_wrap.h — the JS class over a native Tensor (exported as `Tensor`).
#pragma once

#include <napi.h>

#include <memory>
#include <mutex>
#include <utility>

#include "call_scope.h"
#include "../kernels/errors.h"
#include "tensor.h"

namespace cuoptim {

class TensorWrap : public Napi::ObjectWrap<TensorWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  // The live tensor behind a JS value, or a JS error naming `name` (not a tensor, or freed).
  static Tensor& unwrap(const Napi::Value& v, const std::string& name);
  // Many lookups under one lock of the wrapper registry (hot paths: every tensor of a step).
  // (The registry lock is recursive: JS that runs meanwhile, e.g. an array getter, may create or
  // finalize Tensors on this thread.)
  class Batch {
   public:
    Batch();
    TensorWrap* wrapper(const Napi::Value& v) const;
    // unwrap() with the name built only on error.
    template <typename NameFn>
    Tensor& unwrap_at(const Napi::Value& v, NameFn&& name) const {
      TensorWrap* w = wrapper(v);
      if (!w) throw Error(code::kInvalidArgument, name() + ": expected a native Tensor");
      if (!w->tensor_ || w->tensor_->freed()) throw Error(code::kFreed, name() + ": the tensor has been freed");
      CallScope::hold(*w->tensor_);
      return *w->tensor_;
    }

   private:
    std::lock_guard<std::recursive_mutex> lock_;
  };
  template <typename NameFn>
  static Tensor& unwrap_at(const Napi::Value& v, NameFn&& name) {
    return Batch().unwrap_at(v, std::forward<NameFn>(name));
  }
  static bool is_tensor(const Napi::Value& v);

  explicit TensorWrap(const Napi::CallbackInfo& info);
  ~TensorWrap() override;

 private:
  Napi::Value device(const Napi::CallbackInfo& info);
  Napi::Value dtype(const Napi::CallbackInfo& info);
  Napi::Value shape(const Napi::CallbackInfo& info);
  Napi::Value numel(const Napi::CallbackInfo& info);
  Napi::Value bytes(const Napi::CallbackInfo& info);
  Napi::Value freed(const Napi::CallbackInfo& info);
  Napi::Value role(const Napi::CallbackInfo& info);
  Napi::Value paged(const Napi::CallbackInfo& info);
  Napi::Value set_role(const Napi::CallbackInfo& info);
  Napi::Value upload(const Napi::CallbackInfo& info);
  Napi::Value download(const Napi::CallbackInfo& info);
  Napi::Value copy_from(const Napi::CallbackInfo& info);
  Napi::Value zero(const Napi::CallbackInfo& info);
  Napi::Value view(const Napi::CallbackInfo& info);
  Napi::Value free(const Napi::CallbackInfo& info);

  // The wrapper behind a JS value, or null when it is not one of ours.
  static TensorWrap* wrapper(const Napi::Value& v);
  Tensor& live(const char* what);
  void detach_view();
  // Tells V8 about the bytes this wrapper holds (napi_adjust_external_memory), so that
  // unreachable tensors are collected under memory pressure instead of piling up unseen;
  // forget_external() takes them back on free() or finalization.
  void report_external(Napi::Env env, int64_t bytes);
  void forget_external(Napi::Env env);

  int64_t external_bytes_ = 0;

  std::unique_ptr<Tensor> tensor_;
  Napi::ObjectReference view_;  // weak: the cached zero-copy typed array, if any
};

}  // namespace cuoptim
