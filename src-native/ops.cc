// src-native/ops.cc — the optimizer entry point:
//   optimizerStep(op, lists, steps, fresh, options[, hostState[, storage]]) -> updated hostState
// lists = [params, grads, ...one list per state of the op (null where unused)[, masters]],
// steps = each param's step count after this step, fresh = whether its state was created for
// this step. Params may be bfloat16 or float16 (kernels/math/half.cuh): their grads any float
// dtype, their states all float32 or all of their dtype; `masters` (f32, one per
// param, or null) makes the update run on the masters and write the params from them;
// storage = {stochasticRounding, seed, tensorIds: Uint32Array} rounds 16-bit params
// stochastically, keyed by (seed, tensorIds[i], steps[i]).
// Every argument is validated (op_specs.cc, ops_common.cc) before the backend runs one
// multi-tensor op; per-tensor scalars are computed here on the host in double.
//   elementwiseOps() -> {name: {states, readsGrad}}: the op list, for the TypeScript layer
//   elementwiseStates(op, options) -> the names of the states the op uses under these options
#include "ops.h"

#include <string>
#include <type_traits>

#include "binding_util.h"
#include "op_specs.h"
#include "ops_common.h"

namespace cuoptim {

namespace {

#define CUOPTIM_RUN_ON(name, Op) \
  void run_on(Backend& b, const ElementwiseArgs<Op>& args) { b.name(args); }
CUOPTIM_ELEMENTWISE_OPS(CUOPTIM_RUN_ON)
#undef CUOPTIM_RUN_ON

// Specs with per-param host state (NAdam) have host_step(step, fresh, state_in, scalars) -> state_out.
template <typename Spec, typename = void>
struct has_host_state : std::false_type {};
template <typename Spec>
struct has_host_state<Spec, decltype(void(&Spec::host_step))> : std::true_type {};

template <typename Op>
Napi::Value elementwise_step(const Napi::CallbackInfo& info) {
  OpSpec<Op> spec;
  spec.parse(read_object(info[4], "options"));
  Napi::Array lists = read_array(info[1], "lists");
  constexpr int kStateLists = kFirstStateList + Op::kStates;
  constexpr int kDepth = kElementwiseDepth<Op>;
  if (lists.Length() != static_cast<uint32_t>(kStateLists) && lists.Length() != static_cast<uint32_t>(kStateLists + 1)) {
    throw Error(code::kInvalidArgument, "lists: expected " + std::to_string(kStateLists) + " tensor lists (params, grads and " +
                                            std::to_string(Op::kStates) + " state lists) and optionally the masters, got " + std::to_string(lists.Length()));
  }
  std::vector<ListArg> specs = {{"params", lists.Get(0u), kParamList, DType::F32, 0, true}};
  if (Op::kReadsGrad) {
    specs.push_back({"grads", lists.Get(1u), kGradList, DType::F32, 0, true});
  } else if (!lists.Get(1u).IsNull()) {
    throw Error(code::kInvalidArgument, "lists[1]: expected null: this op reads no gradient");
  }
  for (int k = 0; k < Op::kStates; ++k) {
    if (Op::uses_state(spec.flags, k)) {
      specs.push_back({OpSpec<Op>::kStateNames[k], lists.Get(static_cast<uint32_t>(kFirstStateList + k)), kFirstStateList + k, DType::F32, 0, true});
    }
  }
  // Masters go in the shadow slot for reading; set_storage_formats swaps them into the param slot.
  const bool with_masters = lists.Length() == static_cast<uint32_t>(kStateLists + 1) && !lists.Get(static_cast<uint32_t>(kStateLists)).IsNull();
  if (with_masters) specs.push_back({"masters", lists.Get(static_cast<uint32_t>(kStateLists)), kShadowList<Op>});
  ReadLists r = read_lists(specs, kDepth);
  const size_t n = r.params.size();
  const std::vector<double> steps = read_steps(info[2], n, "steps");
  const std::vector<bool> fresh = read_flags(info[3], n, "fresh");
  const StorageOptions storage = read_storage(info, 6, n);
  set_storage_formats(r, kFirstStateList, kShadowList<Op>, kShadowList<Op>, with_masters, storage, steps);
  if (n == 0) return Napi::Array::New(info.Env(), 0);
  ElementwiseArgs<Op> args;
  args.lists = std::move(r.lists);
  args.hyper = spec.hyper;
  args.flags = spec.flags;
  Napi::Value result = info.Env().Undefined();
  if constexpr (has_host_state<OpSpec<Op>>::value) {
    Napi::Array in = read_array(info[5], "hostState");
    if (in.Length() != n) throw Error(code::kInvalidArgument, "hostState: expected " + std::to_string(n) + " values");
    Napi::Array out = Napi::Array::New(info.Env(), n);
    for (size_t i = 0; i < n; ++i) {
      const uint32_t k = static_cast<uint32_t>(i);
      const double state = read_number(in.Get(k), "hostState[" + std::to_string(i) + "]");
      out.Set(k, spec.host_step(steps[i], fresh[i], state, args.lists.scalars[i].data()));
    }
    result = out;
  } else {
    for (size_t i = 0; i < n; ++i) spec.tensor_scalars(steps[i], fresh[i], args.lists.scalars[i].data());
  }
  CallScope::ensure_live();
  run_on(*r.backend, args);
  return result;
}

template <typename Op>
struct OpTag {
  using type = Op;
};

// Calls fn(OpTag<Op>{}) for the op named by info[0].
template <typename Fn>
Napi::Value with_op(const Napi::CallbackInfo& info, Fn&& fn) {
  const std::string op = read_string(info[0], "op");
#define CUOPTIM_DISPATCH(name, Op) \
  if (op == #name) return fn(OpTag<Op>{});
  CUOPTIM_ELEMENTWISE_OPS(CUOPTIM_DISPATCH)
#undef CUOPTIM_DISPATCH
  throw Error(code::kInvalidArgument, "op: unknown optimizer \"" + op + "\"");
}

Napi::Value optimizer_step(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    return with_op(info, [&](auto tag) { return elementwise_step<typename decltype(tag)::type>(info); });
  });
}

template <typename Op>
Napi::Object op_info(Napi::Env env) {
  Napi::Array states = Napi::Array::New(env, Op::kStates);
  for (int k = 0; k < Op::kStates; ++k) states.Set(static_cast<uint32_t>(k), OpSpec<Op>::kStateNames[k]);
  Napi::Object info = Napi::Object::New(env);
  info.Set("states", states);
  info.Set("readsGrad", Op::kReadsGrad);
  return info;
}

Napi::Value elementwise_ops(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Object out = Napi::Object::New(info.Env());
#define CUOPTIM_OP_INFO(name, Op) out.Set(#name, op_info<Op>(info.Env()));
    CUOPTIM_ELEMENTWISE_OPS(CUOPTIM_OP_INFO)
#undef CUOPTIM_OP_INFO
    return out;
  });
}

template <typename Op>
Napi::Value used_states(const Napi::CallbackInfo& info) {
  OpSpec<Op> spec;
  spec.parse(read_object(info[1], "options"));
  Napi::Array out = Napi::Array::New(info.Env());
  uint32_t n = 0;
  for (int k = 0; k < Op::kStates; ++k) {
    if (Op::uses_state(spec.flags, k)) out.Set(n++, OpSpec<Op>::kStateNames[k]);
  }
  return out;
}

Napi::Value elementwise_states(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    return with_op(info, [&](auto tag) { return used_states<typename decltype(tag)::type>(info); });
  });
}

}  // namespace

void register_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("optimizerStep", Napi::Function::New(env, optimizer_step, "optimizerStep"));
  exports.Set("elementwiseOps", Napi::Function::New(env, elementwise_ops, "elementwiseOps"));
  exports.Set("elementwiseStates", Napi::Function::New(env, elementwise_states, "elementwiseStates"));
}

}  // namespace cuoptim
