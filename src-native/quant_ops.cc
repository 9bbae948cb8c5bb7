// src-native/quant_ops.cc — the 8-bit entry points:
//   optimizer8bitStep(op, lists, steps, options[, storage])
//       lists = [params, grads, codes..., absmax...[, masters]]; 16-bit params and grads as the
//       element-wise ops take them (ops.cc)
//   quantizeBlockwise(values, codes, absmax, blockSize, signed)
//   dequantizeBlockwise(codes, absmax, out, blockSize, signed)
//   dynamicMap(signed) -> Float32Array(256)
// Arguments are validated completely (op_specs.cc, ops_common.cc) before a backend runs.
#include "quant_ops.h"

#include <string>

#include "binding_util.h"
#include "op_specs.h"
#include "ops_common.h"

namespace cuoptim {

namespace {

#define CUOPTIM_RUN_ON(name, Rule) \
  void run_on(Backend& b, const BlockwiseArgs<Rule>& args) { b.name(args); }
CUOPTIM_BLOCKWISE_OPS(CUOPTIM_RUN_ON)
#undef CUOPTIM_RUN_ON

template <typename Rule>
Napi::Value blockwise_step(const Napi::CallbackInfo& info) {
  using Spec = BlockwiseSpec<Rule>;
  constexpr int kStates = Rule::kStates;
  constexpr int kLists = 2 + 2 * kStates;
  constexpr int kShadow = kLists;
  Spec spec;
  spec.parse(read_object(info[3], "options"));
  Napi::Array lists = read_array(info[1], "lists");
  if (lists.Length() != static_cast<uint32_t>(kLists) && lists.Length() != static_cast<uint32_t>(kLists + 1)) {
    throw Error(code::kInvalidArgument, "lists: expected " + std::to_string(kLists) + " tensor lists (and optionally the masters), got " + std::to_string(lists.Length()));
  }
  std::vector<ListArg> specs = {{"params", lists.Get(0u), 0, DType::F32, 0, true}, {"grads", lists.Get(1u), 1, DType::F32, 0, true}};
  for (int k = 0; k < kStates; ++k) {
    specs.push_back({Spec::kStateNames[k], lists.Get(static_cast<uint32_t>(2 + k)), 2 + k, DType::U8});
  }
  for (int k = 0; k < kStates; ++k) {
    specs.push_back({Spec::kAbsmaxNames[k], lists.Get(static_cast<uint32_t>(2 + kStates + k)), 2 + kStates + k, DType::F32,
                     spec.block_size});
  }
  const bool masters = lists.Length() == static_cast<uint32_t>(kLists + 1) && !lists.Get(static_cast<uint32_t>(kLists)).IsNull();
  if (masters) specs.push_back({"masters", lists.Get(static_cast<uint32_t>(kLists)), kShadow});
  ReadLists r = read_lists(specs, kLists + 1);
  const size_t n = r.params.size();
  const std::vector<double> steps = read_steps(info[2], n, "steps");
  // No float state lists: codes and absmax keep their own types.
  set_storage_formats(r, kShadow, kShadow, kShadow, masters, read_storage(info, 4, n), steps);
  if (n == 0) return info.Env().Undefined();
  BlockwiseArgs<Rule> args;
  args.lists = std::move(r.lists);
  args.hyper = spec.hyper;
  args.block_size = spec.block_size;
  for (int k = 0; k < kStates; ++k) args.maps[k] = r.backend->dynamic_map(Rule::is_signed(k));
  for (size_t i = 0; i < n; ++i) spec.tensor_scalars(steps[i], args.lists.scalars[i].data());
  CallScope::ensure_live();
  run_on(*r.backend, args);
  return info.Env().Undefined();
}

Napi::Value optimizer_8bit_step(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const std::string op = read_string(info[0], "op");
#define CUOPTIM_DISPATCH(name, Rule) \
  if (op == #name) return blockwise_step<Rule>(info);
    CUOPTIM_BLOCKWISE_OPS(CUOPTIM_DISPATCH)
#undef CUOPTIM_DISPATCH
    throw Error(code::kInvalidArgument, "op: unknown 8-bit optimizer \"" + op + "\"");
  });
}

// Shared by quantize and dequantize: one tensor with its codes and absmax, validated.
QuantizeArgs read_quantize_args(const Napi::Value& values, const Napi::Value& codes, const Napi::Value& absmax,
                                const Napi::Value& block, const Napi::Value& is_signed, Backend** backend,
                                int values_slot, int codes_slot, int absmax_slot) {
  Napi::Env env = values.Env();
  const int64_t block_size = read_whole(block, "blockSize", math::kMinQuantBlock, math::kMaxQuantBlock);
  if ((block_size & (block_size - 1)) != 0) throw_arg(code::kRange, "blockSize", "a power of two");
  auto one = [&](const Napi::Value& v) {
    Napi::Array a = Napi::Array::New(env, 1);
    a.Set(0u, v);
    return a;
  };
  ReadLists r = read_lists({{"values", one(values), values_slot},
                            {"codes", one(codes), codes_slot, DType::U8},
                            {"absmax", one(absmax), absmax_slot, DType::F32, block_size}},
                           3);
  QuantizeArgs args;
  args.lists = std::move(r.lists);
  args.block_size = static_cast<int>(block_size);
  args.is_signed = read_bool(is_signed, "signed");
  args.map = r.backend->dynamic_map(args.is_signed);
  *backend = r.backend;
  return args;
}

Napi::Value quantize_blockwise(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Backend* b = nullptr;
    const QuantizeArgs a = read_quantize_args(info[0], info[1], info[2], info[3], info[4], &b, 0, 1, 2);
    CallScope::ensure_live();
    b->quantize_blockwise(a);
    return info.Env().Undefined();
  });
}

Napi::Value dequantize_blockwise(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Backend* b = nullptr;
    // read_lists takes the element-count reference from its first list: the output values.
    const QuantizeArgs a = read_quantize_args(info[2], info[0], info[1], info[3], info[4], &b, 2, 0, 1);
    CallScope::ensure_live();
    b->dequantize_blockwise(a);
    return info.Env().Undefined();
  });
}

Napi::Value dynamic_map_value(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Float32Array out = Napi::Float32Array::New(info.Env(), math::kCodeCount);
    math::dynamic_map(read_bool(info[0], "signed"), out.Data());
    return out;
  });
}

}  // namespace

void register_quant_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("optimizer8bitStep", Napi::Function::New(env, optimizer_8bit_step, "optimizer8bitStep"));
  exports.Set("quantizeBlockwise", Napi::Function::New(env, quantize_blockwise, "quantizeBlockwise"));
  exports.Set("dequantizeBlockwise", Napi::Function::New(env, dequantize_blockwise, "dequantizeBlockwise"));
  exports.Set("dynamicMap", Napi::Function::New(env, dynamic_map_value, "dynamicMap"));
}

}  // namespace cuoptim
