// src-native/selftest_op.cc — kernelSelfTest(device, name, input, block, flag): runs one of
// kernels/cuda/selftest.cu's execution-model checks on a cuda or cuda-sim device and returns
// its output. Used by the simulator's self-tests; not part of the optimizer API.
#include "selftest_op.h"

#include <memory>
#include <string>

#include "backend.h"
#include "binding_util.h"
#include "tensor.h"

namespace cuoptim {

namespace {

// Output length of each self-test for n inputs in blocks of `block` threads.
int64_t output_length(const std::string& name, int64_t n, int64_t block) {
  const int64_t blocks = (n + block - 1) / block;
  if (name == "block_sum") return blocks;
  if (name == "warp_sum") return 2 * ((blocks * block + 31) / 32);
  if (name == "atomics" || name == "host_pointer") return 2;
  if (name == "reduce_twice") return 2 * ((blocks * block + 31) / 32);
  if (name == "block_chain") return blocks;
  return n;  // neighbour, static_map, race_*, exited_lane, mixed_mask, exit_at_barrier
}

Napi::Value kernel_self_test(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Backend* backend = &usable_backend(read_string(info[0], "device"));
    const std::string name = read_string(info[1], "name");
    if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      throw_arg(code::kDtype, "input", "a Float32Array");
    }
    Napi::Float32Array input = info[2].As<Napi::Float32Array>();
    const int64_t n = static_cast<int64_t>(input.ElementLength());
    const int64_t block = read_whole(info[3], "block", 32, 4096);  // > 1024: the launch itself must fail
    const int64_t flag = read_whole(info[4], "flag", 0, 1);
    if (n < 1 || n > (1 << 24)) throw_arg(code::kRange, "input", "1 to 2^24 elements");
    if ((block & (block - 1)) != 0) throw_arg(code::kRange, "block", "a power of two");
    const int64_t out_n = output_length(name, n, block);

    Tensor in(*backend, DType::F32, {n}, Role::Other);
    Tensor out(*backend, DType::F32, {out_n}, Role::Other);
    Tensor scratch(*backend, DType::F32, {2}, Role::Other);  // two ints, zero-filled
    backend->upload(in.data(), input.Data(), static_cast<size_t>(n) * sizeof(float));
    backend->kernel_selftest(name.c_str(), static_cast<const float*>(in.data()), static_cast<float*>(out.data()),
                             static_cast<int*>(scratch.data()), static_cast<int>(n), static_cast<int>(block),
                             static_cast<int>(flag));
    Napi::Float32Array result = Napi::Float32Array::New(env, static_cast<size_t>(out_n));
    backend->download(result.Data(), out.data(), static_cast<size_t>(out_n) * sizeof(float));
    return result;
  });
}

}  // namespace

void register_selftest_op(Napi::Env env, Napi::Object exports) {
  exports.Set("kernelSelfTest", Napi::Function::New(env, kernel_self_test, "kernelSelfTest"));
}

}  // namespace cuoptim
