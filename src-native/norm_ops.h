// src-native/norm_ops.h — registers gradNorm and transformTensors (see norm_ops.cc).
#pragma once

#include <napi.h>

namespace cuoptim {
void register_norm_ops(Napi::Env env, Napi::Object exports);
}
