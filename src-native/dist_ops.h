// src-native/dist_ops.h — the N-API entry points of cuoptim/distributed (dist_ops.cc).
#pragma once

#include <napi.h>

namespace cuoptim {

void register_dist_ops(Napi::Env env, Napi::Object exports);

}  // namespace cuoptim
