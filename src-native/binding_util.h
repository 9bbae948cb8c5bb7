// src-native/binding_util.h — reading JS arguments and throwing JS errors, for the N-API layer.
//
// Every entry point runs inside guarded(), which turns cuoptim::Error (and anything else C++
// throws) into the JS CuoptimError the TypeScript layer registered, with a stable code, and
// opens the call's CallScope (tensors it unwraps stay alive; see call_scope.h). The
// readers below name the argument in every message and never touch state.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "call_scope.h"
#include "../kernels/errors.h"

namespace cuoptim {

class TensorWrap;

// Per-addon-instance data (worker threads each load their own).
struct AddonData {
  Napi::FunctionReference error_factory;  // (code, message) => CuoptimError
  Napi::FunctionReference tensor_class;
};

AddonData& addon_data(Napi::Env env);
Napi::Error make_js_error(Napi::Env env, const char* error_code, const std::string& message);

template <typename Fn>
Napi::Value guarded(const Napi::CallbackInfo& info, Fn&& fn) {
  try {
    CallScope scope;
    return fn();
  } catch (const Error& e) {
    throw make_js_error(info.Env(), e.code(), e.what());
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw make_js_error(info.Env(), code::kOutOfMemory, "out of host memory");
  } catch (const std::exception& e) {
    throw make_js_error(info.Env(), code::kInternal, e.what());
  }
}

[[noreturn]] void throw_arg(const char* error_code, const std::string& name, const std::string& expected);

double read_number(const Napi::Value& v, const std::string& name);  // any finite number
bool read_bool(const Napi::Value& v, const std::string& name);
std::string read_string(const Napi::Value& v, const std::string& name);
Napi::Array read_array(const Napi::Value& v, const std::string& name);
Napi::Object read_object(const Napi::Value& v, const std::string& name);
int64_t read_whole(const Napi::Value& v, const std::string& name, int64_t min, int64_t max);
std::vector<int64_t> read_shape(const Napi::Value& v, const std::string& name);
// A property of an options object, read as a finite number / bool.
double read_number_field(const Napi::Object& o, const char* key, const std::string& owner);
bool read_bool_field(const Napi::Object& o, const char* key, const std::string& owner);

}  // namespace cuoptim
