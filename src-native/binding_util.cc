// src-native/binding_util.cc — argument readers and the JS error factory.
#include "binding_util.h"

#include <cmath>

namespace cuoptim {

AddonData& addon_data(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

Napi::Error make_js_error(Napi::Env env, const char* error_code, const std::string& message) {
  AddonData& data = addon_data(env);
  if (!data.error_factory.IsEmpty()) {
    Napi::Value err = data.error_factory.Call(
        {Napi::String::New(env, error_code), Napi::String::New(env, message)});
    return Napi::Error(env, err);
  }
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, error_code));
  return err;
}

void throw_arg(const char* error_code, const std::string& name, const std::string& expected) {
  throw Error(error_code, name + ": expected " + expected);
}

namespace {
std::string describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsNumber()) return "the number " + std::to_string(v.As<Napi::Number>().DoubleValue());
  if (v.IsString()) return "a string";
  if (v.IsBoolean()) return "a boolean";
  if (v.IsArray()) return "an array";
  if (v.IsTypedArray()) return "a typed array";
  if (v.IsFunction()) return "a function";
  return "an object";
}
}  // namespace

double read_number(const Napi::Value& v, const std::string& name) {
  if (!v.IsNumber()) throw_arg(code::kInvalidArgument, name, "a number, got " + describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throw_arg(code::kRange, name, "a finite number, got " + std::to_string(d));
  return d;
}

bool read_bool(const Napi::Value& v, const std::string& name) {
  if (!v.IsBoolean()) throw_arg(code::kInvalidArgument, name, "a boolean, got " + describe(v));
  return v.As<Napi::Boolean>().Value();
}

std::string read_string(const Napi::Value& v, const std::string& name) {
  if (!v.IsString()) throw_arg(code::kInvalidArgument, name, "a string, got " + describe(v));
  return v.As<Napi::String>().Utf8Value();
}

Napi::Array read_array(const Napi::Value& v, const std::string& name) {
  if (!v.IsArray()) throw_arg(code::kInvalidArgument, name, "an array, got " + describe(v));
  return v.As<Napi::Array>();
}

Napi::Object read_object(const Napi::Value& v, const std::string& name) {
  if (!v.IsObject() || v.IsArray() || v.IsFunction()) {
    throw_arg(code::kInvalidArgument, name, "an object, got " + describe(v));
  }
  return v.As<Napi::Object>();
}

int64_t read_whole(const Napi::Value& v, const std::string& name, int64_t min, int64_t max) {
  const double d = read_number(v, name);
  if (d != std::floor(d) || d < static_cast<double>(min) || d > static_cast<double>(max)) {
    throw_arg(code::kRange, name,
              "a whole number in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " +
                  std::to_string(d));
  }
  return static_cast<int64_t>(d);
}

std::vector<int64_t> read_shape(const Napi::Value& v, const std::string& name) {
  Napi::Array a = read_array(v, name);
  std::vector<int64_t> shape;
  shape.reserve(a.Length());
  constexpr int64_t kMaxDim = int64_t{1} << 53;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    shape.push_back(read_whole(a.Get(i), name + "[" + std::to_string(i) + "]", 0, kMaxDim));
  }
  return shape;
}

double read_number_field(const Napi::Object& o, const char* key, const std::string& owner) {
  return read_number(o.Get(key), owner + "." + key);
}

bool read_bool_field(const Napi::Object& o, const char* key, const std::string& owner) {
  return read_bool(o.Get(key), owner + "." + key);
}

}  // namespace cuoptim
