// src-native/adafactor_op.h — registers adafactorStep (see adafactor_op.cc).
#pragma once

#include <napi.h>

namespace cuoptim {
void register_adafactor_op(Napi::Env env, Napi::Object exports);
}
