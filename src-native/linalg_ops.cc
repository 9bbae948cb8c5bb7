// src-native/linalg_ops.cc — the dense linear algebra Shampoo is built on, over sub-matrices of
// float32 tensors:
//   gemm(a, b, c, {m, n, k, aOffset, lda, transA, bOffset, ldb, transB, cOffset, ldc, alpha, beta})
//     C <- alpha op(A) op(B) + beta C (kernels/math/gemm.cuh)
//   addDiagonal(t, {n, offset, ld, value})   t[offset + i*ld + i] += value, i < n
// Every element either touches is checked to lie inside its tensor, and C may share no tensor
// with A or B, before anything runs.
#include "linalg_ops.h"

#include <string>

#include "backend.h"
#include "binding_util.h"
#include "tensor_wrap.h"

namespace cuoptim {

namespace {

const std::string kOwner = "options";

int64_t whole(const Napi::Object& o, const char* key, int64_t lo) {
  return read_whole(o.Get(key), kOwner + "." + key, lo, int64_t{1} << 40);
}

// The last element a rows x cols sub-matrix at `offset` with leading dimension `ld` touches must
// lie inside the tensor (ld >= cols, so rows do not overlap).
void check_view(const Tensor& t, const char* name, int64_t offset, int64_t rows, int64_t cols, int64_t ld) {
  if (rows == 0 || cols == 0) return;
  if (ld < cols) throw Error(code::kRange, std::string("options: ") + name + "'s leading dimension " + std::to_string(ld) + " is below its " + std::to_string(cols) + " columns");
  const int64_t last = offset + (rows - 1) * ld + (cols - 1);
  if (last >= t.numel()) {
    throw Error(code::kRange, std::string(name) + ": a " + std::to_string(rows) + " x " + std::to_string(cols) + " view at offset " + std::to_string(offset) +
                                  " with leading dimension " + std::to_string(ld) + " reaches element " + std::to_string(last) + " of " + std::to_string(t.numel()));
  }
}

Tensor& float_tensor(const Napi::Value& v, const char* name, Backend** backend) {
  Tensor& t = TensorWrap::unwrap(v, name);
  if (t.dtype() != DType::F32) throw Error(code::kDtype, std::string(name) + ": expected a float32 tensor");
  if (*backend && &t.backend() != *backend) throw Error(code::kDevice, std::string(name) + ": expected a tensor on " + device_name((*backend)->kind()));
  *backend = &t.backend();
  return t;
}

Napi::Value gemm(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Backend* backend = nullptr;
    Tensor& a = float_tensor(info[0], "a", &backend);
    Tensor& b = float_tensor(info[1], "b", &backend);
    Tensor& c = float_tensor(info[2], "c", &backend);
    if (&c == &a || &c == &b || c.data() == a.data() || c.data() == b.data()) throw Error(code::kInvalidArgument, "c: must be a tensor other than a and b");
    const Napi::Object o = read_object(info[3], kOwner);
    math::GemmArgs g;
    g.m = whole(o, "m", 0);
    g.n = whole(o, "n", 0);
    g.k = whole(o, "k", 0);
    const int64_t a_off = whole(o, "aOffset", 0), b_off = whole(o, "bOffset", 0), c_off = whole(o, "cOffset", 0);
    g.lda = whole(o, "lda", 1);
    g.ldb = whole(o, "ldb", 1);
    g.ldc = whole(o, "ldc", 1);
    g.trans_a = read_bool_field(o, "transA", kOwner) ? 1 : 0;
    g.trans_b = read_bool_field(o, "transB", kOwner) ? 1 : 0;
    g.alpha = static_cast<float>(read_number_field(o, "alpha", kOwner));
    g.beta = static_cast<float>(read_number_field(o, "beta", kOwner));
    if (g.k > 0) {
      check_view(a, "a", a_off, g.trans_a ? g.k : g.m, g.trans_a ? g.m : g.k, g.lda);
      check_view(b, "b", b_off, g.trans_b ? g.n : g.k, g.trans_b ? g.k : g.n, g.ldb);
    }
    check_view(c, "c", c_off, g.m, g.n, g.ldc);
    CallScope::ensure_live();
    g.a = static_cast<const float*>(a.data()) + a_off;
    g.b = static_cast<const float*>(b.data()) + b_off;
    g.c = static_cast<float*>(c.data()) + c_off;
    if (g.m > 0 && g.n > 0) backend->gemm(g);
    return info.Env().Undefined();
  });
}

Napi::Value add_diagonal(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Backend* backend = nullptr;
    Tensor& t = float_tensor(info[0], "t", &backend);
    const Napi::Object o = read_object(info[1], kOwner);
    const int64_t n = whole(o, "n", 0), offset = whole(o, "offset", 0), ld = whole(o, "ld", 1);
    const float value = static_cast<float>(read_number_field(o, "value", kOwner));
    check_view(t, "t", offset, n, n, ld);
    CallScope::ensure_live();
    if (n > 0) backend->add_diagonal(static_cast<float*>(t.data()) + offset, n, ld, value);
    return info.Env().Undefined();
  });
}

}  // namespace

void register_linalg_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, gemm, "gemm"));
  exports.Set("addDiagonal", Napi::Function::New(env, add_diagonal, "addDiagonal"));
}

}  // namespace cuoptim
