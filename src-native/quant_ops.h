// src-native/quant_ops.h — registers the 8-bit ops (see quant_ops.cc).
#pragma once

#include <napi.h>

namespace cuoptim {
void register_quant_ops(Napi::Env env, Napi::Object exports);
}
