// src-native/tensor.h — a device buffer: which backend holds it, dtype, shape, bytes, role.
//
// Storage is reference counted so that a zero-copy view handed to JS (cpu only) keeps the bytes
// alive after the tensor is freed; the memory counters follow the tensor, not the view
// (see memory_stats.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "memory_stats.h"

namespace cuoptim {

class Backend;

enum class DType : uint8_t { F32 = 0, U8, BF16, F16 };

size_t dtype_size(DType dtype);
inline bool is_half(DType dtype) { return dtype == DType::BF16 || dtype == DType::F16; }
// The element-wise kernels' storage code (kernels/math/half.cuh) of a float dtype.
unsigned storage_type(DType dtype);
const char* dtype_name(DType dtype);
bool parse_dtype(const std::string& name, DType* out);

inline constexpr int kMaxRank = 8;

// Raw bytes on one backend; released through that backend when the last owner goes.
class Storage {
 public:
  Storage(Backend& backend, size_t bytes, bool want_paged = false);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  bool paged() const { return paged_; }
  Backend& backend() const { return backend_; }

 private:
  Backend& backend_;
  void* data_;
  size_t bytes_;
  bool paged_ = false;
};

class Tensor {
 public:
  // Allocates zero-filled storage. Throws cuoptim::Error on a bad shape or failed allocation.
  Tensor(Backend& backend, DType dtype, std::vector<int64_t> shape, Role role, bool want_paged = false);
  ~Tensor();
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;

  void release();  // free(): drops this tensor's hold on the storage and its byte count
  bool freed() const { return storage_ == nullptr; }

  Backend& backend() const { return backend_; }
  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t numel() const { return numel_; }
  size_t bytes() const { return numel_ * dtype_size(dtype_); }
  Role role() const { return role_; }
  void set_role(Role role);

  // Throws code::kFreed once freed: JS run while a call reads its arguments may have freed a
  // tensor the call unwrapped a moment ago (see call_scope.h).
  void* data() const {
    if (!storage_) throw_freed();
    return storage_->data();
  }
  // The kFreed error for a tensor freed while a call read its arguments (also CallScope's).
  [[noreturn]] static void throw_freed();
  const std::shared_ptr<Storage>& storage() const { return storage_; }

 private:
  Backend& backend_;
  DType dtype_;
  std::vector<int64_t> shape_;
  int64_t numel_;
  Role role_;
  std::shared_ptr<Storage> storage_;
};

// Product of dims, checking each is a whole number >= 0 and the byte size stays addressable.
int64_t checked_numel(const std::vector<int64_t>& shape, DType dtype);

}  // namespace cuoptim
