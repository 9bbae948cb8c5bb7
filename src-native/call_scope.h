// src-native/call_scope.h — what one native call has read keeps its storage until it returns.
//
// Reading a JS argument can run JS (a getter, a Proxy trap, a valueOf), and that JS can free() a
// tensor the call has already unwrapped and validated. Every entry point runs inside a
// CallScope (guarded() opens one): each tensor unwrapped during the call is held here with a
// reference to its storage, so its memory stays valid whatever JS does, and ensure_live(),
// called after the last JS value is read and before any backend work, rejects the call if JS
// freed one of them meanwhile. Nothing has changed by then, so the call is all-or-nothing.
#pragma once

#include <memory>
#include <utility>
#include <vector>

namespace cuoptim {

class Storage;
class Tensor;

class CallScope {
 public:
  CallScope();
  ~CallScope();
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

  // Holds t's storage until the innermost open scope on this thread closes.
  static void hold(const Tensor& t);
  // Throws code::kFreed when a held tensor was freed after it was unwrapped.
  static void ensure_live();

 private:
  CallScope* outer_;
  std::vector<std::pair<const Tensor*, std::shared_ptr<Storage>>> held_;
};

}  // namespace cuoptim
