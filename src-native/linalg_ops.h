// src-native/linalg_ops.h — registers gemm and addDiagonal (see linalg_ops.cc).
#pragma once

#include <napi.h>

namespace cuoptim {
void register_linalg_ops(Napi::Env env, Napi::Object exports);
}
