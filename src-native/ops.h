// src-native/ops.h — registers the optimizer ops on the addon's exports.
#pragma once

#include <napi.h>

namespace cuoptim {
void register_ops(Napi::Env env, Napi::Object exports);
}
