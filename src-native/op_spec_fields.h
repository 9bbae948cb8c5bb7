// src-native/op_spec_fields.h — reading and range-checking one field of an optimizer's options
// object, for the op_specs*.cc files (messages name `options.<key>`).
#pragma once

#include <napi.h>

#include <cmath>
#include <string>

namespace cuoptim {

extern const std::string kOwner;  // "options"
inline constexpr double kInf = HUGE_VAL;

// A number in [lo, hi] (an end excluded where *_open).
double number_in(const Napi::Object& o, const char* key, double lo, bool lo_open, double hi, bool hi_open);
double non_negative(const Napi::Object& o, const char* key);  // [0, inf)
double unit_interval(const Napi::Object& o, const char* key);  // [0, 1)
bool flag(const Napi::Object& o, const char* key);

}  // namespace cuoptim
