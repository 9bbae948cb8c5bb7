// kernels/errors.h — the one exception type native code throws.
//
// Backends and validation throw cuoptim::Error with a stable code; the N-API entry points catch
// it (binding_util.h) and throw the JS CuoptimError carrying the same code. Nothing in native code
// aborts on bad input.
#pragma once

#include <stdexcept>
#include <string>

namespace cuoptim {

// Stable error codes, mirrored by src-ts/errors.ts.
namespace code {
inline constexpr const char* kInvalidArgument = "ERR_INVALID_ARGUMENT";
inline constexpr const char* kShape = "ERR_SHAPE";
inline constexpr const char* kDtype = "ERR_DTYPE";
inline constexpr const char* kDevice = "ERR_DEVICE";
inline constexpr const char* kFreed = "ERR_FREED";
inline constexpr const char* kRange = "ERR_RANGE";
inline constexpr const char* kBackendUnavailable = "ERR_BACKEND_UNAVAILABLE";
inline constexpr const char* kOutOfMemory = "ERR_OUT_OF_MEMORY";
inline constexpr const char* kKernel = "ERR_KERNEL";
inline constexpr const char* kNotImplemented = "ERR_NOT_IMPLEMENTED";
inline constexpr const char* kDistributed = "ERR_DISTRIBUTED";
inline constexpr const char* kInternal = "ERR_INTERNAL";
}  // namespace code

class Error : public std::runtime_error {
 public:
  Error(const char* error_code, const std::string& message)
      : std::runtime_error(message), code_(error_code) {}
  const char* code() const { return code_; }

 private:
  const char* code_;
};

}  // namespace cuoptim
