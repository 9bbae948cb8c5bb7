// src-native/linalg_ops.cc — the dense linear algebra Shampoo is built on, over sub-matrices of
// float32 tensors:
//   gemm(a, b, c, {m, n, k, aOffset, lda, transA, bOffset, ldb, transB, cOffset, ldc, alpha, beta})
//     C <- alpha op(A) op(B) + beta C (kernels/math/gemm.cuh)
//   gemmBatched(as, bs, cs, {the same options})  C_i <- alpha op(A_i) op(B_i) + beta C_i for every i
//     (one launch per kGemmBatch products on cuda and cuda-sim)
//   addDiagonal(t, {n, offset, ld, value})   t[offset + i*ld + i] += value, i < n
// Every element either touches is checked to lie inside its tensor, and C may share no tensor
// with A or B, before anything runs.
#include "linalg_ops.h"

#include <string>
#include <vector>

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
  if (*backend && &t.backend() != *backend) throw Error(code::kDevice, std::string(name) + ": expected a tensor on " + (*backend)->name());
  *backend = &t.backend();
  return t;
}

// The options every product of a call shares (m, n, k, offsets, leading dimensions, transposes,
// alpha, beta), read once.
struct GemmShape {
  math::GemmArgs g;
  int64_t a_off = 0, b_off = 0, c_off = 0;
};

GemmShape read_gemm_shape(const Napi::Object& o) {
  GemmShape s;
  math::GemmArgs& g = s.g;
  g.m = whole(o, "m", 0);
  g.n = whole(o, "n", 0);
  g.k = whole(o, "k", 0);
  s.a_off = whole(o, "aOffset", 0);
  s.b_off = whole(o, "bOffset", 0);
  s.c_off = whole(o, "cOffset", 0);
  g.lda = whole(o, "lda", 1);
  g.ldb = whole(o, "ldb", 1);
  g.ldc = whole(o, "ldc", 1);
  g.trans_a = read_bool_field(o, "transA", kOwner) ? 1 : 0;
  g.trans_b = read_bool_field(o, "transB", kOwner) ? 1 : 0;
  g.alpha = static_cast<float>(read_number_field(o, "alpha", kOwner));
  g.beta = static_cast<float>(read_number_field(o, "beta", kOwner));
  return s;
}

// One product's views, checked against its tensors (`at`: "" or "[i]" for messages).
math::GemmArgs bind_gemm(const GemmShape& s, Tensor& a, Tensor& b, Tensor& c, const std::string& at) {
  math::GemmArgs g = s.g;
  if (g.k > 0) {
    check_view(a, ("a" + at).c_str(), s.a_off, g.trans_a ? g.k : g.m, g.trans_a ? g.m : g.k, g.lda);
    check_view(b, ("b" + at).c_str(), s.b_off, g.trans_b ? g.n : g.k, g.trans_b ? g.k : g.n, g.ldb);
  }
  check_view(c, ("c" + at).c_str(), s.c_off, g.m, g.n, g.ldc);
  g.a = static_cast<const float*>(a.data()) + s.a_off;
  g.b = static_cast<const float*>(b.data()) + s.b_off;
  g.c = static_cast<float*>(c.data()) + s.c_off;
  return g;
}

Napi::Value gemm(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Backend* backend = nullptr;
    Tensor& a = float_tensor(info[0], "a", &backend);
    Tensor& b = float_tensor(info[1], "b", &backend);
    Tensor& c = float_tensor(info[2], "c", &backend);
    if (&c == &a || &c == &b || c.data() == a.data() || c.data() == b.data()) throw Error(code::kInvalidArgument, "c: must be a tensor other than a and b");
    const GemmShape s = read_gemm_shape(read_object(info[3], kOwner));
    const math::GemmArgs g = bind_gemm(s, a, b, c, "");
    CallScope::ensure_live();
    if (g.m > 0 && g.n > 0) backend->gemm(g);
    return info.Env().Undefined();
  });
}

// Every C is written while every A and B of the batch is read: no C may share memory with
// another C, nor with any A or B.
Napi::Value gemm_batched(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const Napi::Array as = read_array(info[0], "as"), bs = read_array(info[1], "bs"), cs = read_array(info[2], "cs");
    const uint32_t n = as.Length();
    if (bs.Length() != n || cs.Length() != n) throw Error(code::kInvalidArgument, "as, bs, cs: expected lists of one length");
    const GemmShape s = read_gemm_shape(read_object(info[3], kOwner));
    Backend* backend = nullptr;
    std::vector<math::GemmArgs> args;
    std::vector<const void*> reads, writes;
    for (uint32_t i = 0; i < n; ++i) {
      const std::string at = "[" + std::to_string(i) + "]";
      Tensor& a = float_tensor(as.Get(i), ("as" + at).c_str(), &backend);
      Tensor& b = float_tensor(bs.Get(i), ("bs" + at).c_str(), &backend);
      Tensor& c = float_tensor(cs.Get(i), ("cs" + at).c_str(), &backend);
      args.push_back(bind_gemm(s, a, b, c, at));
      reads.push_back(a.data());
      reads.push_back(b.data());
      writes.push_back(c.data());
    }
    for (uint32_t i = 0; i < n; ++i) {
      for (const void* r : reads) {
        if (r == writes[i]) throw Error(code::kInvalidArgument, "cs[" + std::to_string(i) + "]: must share no tensor with any a or b of the batch");
      }
      for (uint32_t j = 0; j < i; ++j) {
        if (writes[j] == writes[i]) throw Error(code::kInvalidArgument, "cs[" + std::to_string(i) + "]: the same tensor as cs[" + std::to_string(j) + "]");
      }
    }
    CallScope::ensure_live();
    if (s.g.m == 0 || s.g.n == 0) return info.Env().Undefined();
    for (size_t first = 0; first < args.size(); first += math::kGemmBatch) {
      math::GemmBatch batch;
      for (size_t i = first; i < args.size() && batch.count < math::kGemmBatch; ++i) batch.g[batch.count++] = args[i];
      batch.max_m = s.g.m;
      batch.max_n = s.g.n;
      backend->gemm_batched(batch);
    }
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
  exports.Set("gemmBatched", Napi::Function::New(env, gemm_batched, "gemmBatched"));
  exports.Set("addDiagonal", Napi::Function::New(env, add_diagonal, "addDiagonal"));
}

}  // namespace cuoptim
