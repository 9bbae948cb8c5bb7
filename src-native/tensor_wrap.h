// src-native/tensor_wrap.h — the JS class over a native Tensor (exported as `Tensor`).
#pragma once

#include <napi.h>

#include <memory>

#include "tensor.h"

namespace cuoptim {

class TensorWrap : public Napi::ObjectWrap<TensorWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  // The live tensor behind a JS value, or a JS error naming `name` (not a tensor, or freed).
  static Tensor& unwrap(const Napi::Value& v, const std::string& name);
  static bool is_tensor(const Napi::Value& v);

  explicit TensorWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value device(const Napi::CallbackInfo& info);
  Napi::Value dtype(const Napi::CallbackInfo& info);
  Napi::Value shape(const Napi::CallbackInfo& info);
  Napi::Value numel(const Napi::CallbackInfo& info);
  Napi::Value bytes(const Napi::CallbackInfo& info);
  Napi::Value freed(const Napi::CallbackInfo& info);
  Napi::Value role(const Napi::CallbackInfo& info);
  Napi::Value set_role(const Napi::CallbackInfo& info);
  Napi::Value upload(const Napi::CallbackInfo& info);
  Napi::Value download(const Napi::CallbackInfo& info);
  Napi::Value copy_from(const Napi::CallbackInfo& info);
  Napi::Value zero(const Napi::CallbackInfo& info);
  Napi::Value view(const Napi::CallbackInfo& info);
  Napi::Value free(const Napi::CallbackInfo& info);

  Tensor& live(const char* what);
  void detach_view();

  std::unique_ptr<Tensor> tensor_;
  Napi::ObjectReference view_;  // weak: the cached zero-copy typed array, if any
};

}  // namespace cuoptim
