// src-native/selftest_op.h — registers kernelSelfTest (see selftest_op.cc).
#pragma once

#include <napi.h>

namespace cuoptim {
void register_selftest_op(Napi::Env env, Napi::Object exports);
}
