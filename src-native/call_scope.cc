// src-native/call_scope.cc — per-thread stack of open native calls and the storage they hold.
#include "call_scope.h"

#include "tensor.h"

namespace cuoptim {

namespace {
thread_local CallScope* innermost = nullptr;
}

CallScope::CallScope() : outer_(innermost) { innermost = this; }

CallScope::~CallScope() { innermost = outer_; }

void CallScope::hold(const Tensor& t) {
  if (innermost && t.storage()) innermost->held_.emplace_back(&t, t.storage());
}

void CallScope::ensure_live() {
  if (!innermost) return;
  for (const auto& [tensor, storage] : innermost->held_) {
    if (tensor->storage() != storage) Tensor::throw_freed();
  }
}

}  // namespace cuoptim
