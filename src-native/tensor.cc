// src-native/tensor.cc — tensor allocation, accounting and release.
#include "tensor.h"

#include <limits>

#include "backend.h"
#include "../kernels/errors.h"
#include "../kernels/math/half.cuh"

namespace cuoptim {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::F32: return 4;
    case DType::U8: return 1;
    case DType::BF16:
    case DType::F16: return 2;
  }
  return 0;
}

unsigned storage_type(DType dtype) {
  return dtype == DType::BF16 ? math::kStoreBF16 : dtype == DType::F16 ? math::kStoreF16 : math::kStoreF32;
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32: return "float32";
    case DType::U8: return "uint8";
    case DType::BF16: return "bfloat16";
    case DType::F16: return "float16";
  }
  return "?";
}

bool parse_dtype(const std::string& name, DType* out) {
  if (name == "float32") { *out = DType::F32; return true; }
  if (name == "uint8") { *out = DType::U8; return true; }
  if (name == "bfloat16") { *out = DType::BF16; return true; }
  if (name == "float16") { *out = DType::F16; return true; }
  return false;
}

int64_t checked_numel(const std::vector<int64_t>& shape, DType dtype) {
  if (shape.size() > static_cast<size_t>(kMaxRank)) {
    throw Error(code::kShape, "shape: expected at most " + std::to_string(kMaxRank) +
                                  " dimensions, got " + std::to_string(shape.size()));
  }
  // Keep byte counts below 2^53 so they stay exact as JS numbers.
  const int64_t limit = (int64_t{1} << 53) / static_cast<int64_t>(dtype_size(dtype));
  int64_t numel = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    const int64_t d = shape[i];
    if (d < 0) {
      throw Error(code::kShape, "shape[" + std::to_string(i) +
                                    "]: expected a whole number >= 0, got " + std::to_string(d));
    }
    if (d != 0 && numel > limit / d) {
      throw Error(code::kShape, "shape: the tensor is too large to address");
    }
    numel *= d;
  }
  return numel;
}

Storage::Storage(Backend& backend, size_t bytes, bool want_paged) : backend_(backend), data_(nullptr), bytes_(bytes) {
  data_ = want_paged ? backend_.allocate_paged(bytes_, &paged_) : backend_.allocate(bytes_);
}

Storage::~Storage() {
  if (paged_) backend_.deallocate_paged(data_, bytes_);
  else backend_.deallocate(data_, bytes_);
}

Tensor::Tensor(Backend& backend, DType dtype, std::vector<int64_t> shape, Role role, bool want_paged)
    : backend_(backend), dtype_(dtype), shape_(std::move(shape)), numel_(0), role_(role) {
  numel_ = checked_numel(shape_, dtype_);
  storage_ = std::make_shared<Storage>(backend_, bytes(), want_paged);
  backend_.fill_zero(storage_->data(), bytes());
  backend_.memory().add(role_, static_cast<int64_t>(bytes()));
  if (storage_->paged()) backend_.memory().add_paged(static_cast<int64_t>(bytes()));
}

Tensor::~Tensor() { release(); }

void Tensor::throw_freed() {
  throw Error(code::kFreed, "a tensor passed to this call was freed while the call read its other arguments (by a getter, Proxy or valueOf); nothing was changed");
}

void Tensor::release() {
  if (!storage_) return;
  backend_.memory().remove(role_, static_cast<int64_t>(bytes()));
  if (storage_->paged()) backend_.memory().remove_paged(static_cast<int64_t>(bytes()));
  storage_.reset();
}

void Tensor::set_role(Role role) {
  if (role == role_) return;
  if (storage_) backend_.memory().move(role_, role, static_cast<int64_t>(bytes()));
  role_ = role;
}

}  // namespace cuoptim
