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
//   prepareStep(op, lists, options) -> handle: the lists read and validated once, kept with the
//   JS tensors (a step over hundreds of tensors then costs little more than one over one tensor)
//   preparedStep(op, handle, steps, fresh, options[, hostState[, storage]]) -> as optimizerStep,
//   over a handle: only what can change between steps is read (and every tensor checked live)
//   elementwiseOps() -> {name: {states, readsGrad}}: the op list, for the TypeScript layer
//   elementwiseStates(op, options) -> the names of the states the op uses under these options
#include "ops.h"

#include <string>
#include <type_traits>

#include "binding_util.h"
#include "op_specs.h"
#include "ops_common.h"
#include "tensor_wrap.h"

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

// A step's tensor lists, read and validated: for one call (optimizerStep), or once for many
// steps (prepareStep), which also keeps the JS tensors alive and notes each native tensor with
// its list and index, so that a later step can check none was freed before it touches memory.
struct StepLists {
  std::string op;
  unsigned used_states = 0;  // bit k: the op reads state list k under the options it was read with
  bool with_masters = false;
  ReadLists r;
  struct Held {
    const Tensor* tensor;
    const char* list;
    uint32_t index;
  };
  std::vector<Held> held;
  std::vector<Napi::ObjectReference> refs;
};

template <typename Op>
unsigned used_state_mask(const OpSpec<Op>& spec) {
  unsigned mask = 0;
  for (int k = 0; k < Op::kStates; ++k) {
    if (Op::uses_state(spec.flags, k)) mask |= 1u << k;
  }
  return mask;
}

template <typename Op>
StepLists read_step_lists(const std::string& op, const Napi::Value& arg, const OpSpec<Op>& spec, bool keep) {
  Napi::Array lists = read_array(arg, "lists");
  constexpr int kStateLists = kFirstStateList + Op::kStates;
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
  StepLists out;
  out.op = op;
  out.used_states = used_state_mask(spec);
  // Masters go in the shadow slot for reading; set_storage_formats swaps them into the param slot.
  out.with_masters = lists.Length() == static_cast<uint32_t>(kStateLists + 1) && !lists.Get(static_cast<uint32_t>(kStateLists)).IsNull();
  if (out.with_masters) specs.push_back({"masters", lists.Get(static_cast<uint32_t>(kStateLists)), kShadowList<Op>});
  out.r = read_lists(specs, kElementwiseDepth<Op>);
  if (!keep) return out;
  // Validated: now hold every tensor (read_lists has unwrapped each, so these reads find them).
  const size_t n = out.r.params.size();
  out.held.reserve(n * specs.size());
  out.refs.reserve(n * specs.size());
  const TensorWrap::Batch batch;
  for (const ListArg& s : specs) {
    Napi::Array a = s.value.As<Napi::Array>();
    for (uint32_t i = 0; i < n; ++i) {
      const Napi::Value v = a.Get(i);
      const Tensor& t = batch.unwrap_at(v, [&] { return std::string(s.name) + "[" + std::to_string(i) + "]"; });
      out.held.push_back({&t, s.name, i});
      out.refs.push_back(Napi::Persistent(v.As<Napi::Object>()));
    }
  }
  return out;
}

// Runs one step of Op over `lists`: info[2..6] are steps, fresh, options (parsed into `spec`),
// hostState and storage, as optimizerStep and preparedStep both take them.
template <typename Op>
Napi::Value run_step(const Napi::CallbackInfo& info, const StepLists& lists, const OpSpec<Op>& spec) {
  const size_t n = lists.r.params.size();
  const std::vector<double> steps = read_steps(info[2], n, "steps");
  const std::vector<bool> fresh = read_flags(info[3], n, "fresh");
  const StorageOptions storage = read_storage(info, 6, n);
  std::vector<double> host_in;
  if constexpr (has_host_state<OpSpec<Op>>::value) {
    Napi::Array in = read_array(info[5], "hostState");
    if (in.Length() != n) throw Error(code::kInvalidArgument, "hostState: expected " + std::to_string(n) + " values");
    host_in.resize(n);
    for (size_t i = 0; i < n; ++i) host_in[i] = read_number(in.Get(static_cast<uint32_t>(i)), "hostState[" + std::to_string(i) + "]");
  }
  // Every JS value is read: a prepared step's tensors must all still be live.
  for (const StepLists::Held& h : lists.held) {
    if (h.tensor->freed()) throw Error(code::kFreed, std::string(h.list) + "[" + std::to_string(h.index) + "]: the tensor has been freed");
  }
  ReadLists r = lists.r;
  set_storage_formats(r, kFirstStateList, kShadowList<Op>, kShadowList<Op>, lists.with_masters, storage, steps);
  if (n == 0) return Napi::Array::New(info.Env(), 0);
  ElementwiseArgs<Op> args;
  args.lists = std::move(r.lists);
  args.hyper = spec.hyper;
  args.flags = spec.flags;
  Napi::Value result = info.Env().Undefined();
  if constexpr (has_host_state<OpSpec<Op>>::value) {
    Napi::Array out = Napi::Array::New(info.Env(), n);
    for (size_t i = 0; i < n; ++i) out.Set(static_cast<uint32_t>(i), spec.host_step(steps[i], fresh[i], host_in[i], args.lists.scalars[i].data()));
    result = out;
  } else {
    // The scalars depend on the step count and freshness only: params stepped together share them.
    for (size_t i = 0; i < n; ++i) {
      if (i > 0 && steps[i] == steps[i - 1] && fresh[i] == fresh[i - 1]) {
        args.lists.scalars[i] = args.lists.scalars[i - 1];
      } else {
        spec.tensor_scalars(steps[i], fresh[i], args.lists.scalars[i].data());
      }
    }
  }
  CallScope::ensure_live();
  run_on(*r.backend, args);
  return result;
}

template <typename Op>
Napi::Value elementwise_step(const Napi::CallbackInfo& info, const std::string& op) {
  OpSpec<Op> spec;
  spec.parse(read_object(info[4], "options"));
  return run_step<Op>(info, read_step_lists<Op>(op, info[1], spec, false), spec);
}

// prepareStep's handle: an External tagged as ours.
constexpr napi_type_tag kStepListsTag = {0x6375'6f70'7469'6d2dULL, 0x7374'6570'6c69'7374ULL};

template <typename Op>
Napi::Value prepare_step(const Napi::CallbackInfo& info, const std::string& op) {
  OpSpec<Op> spec;
  spec.parse(read_object(info[2], "options"));
  auto* lists = new StepLists(read_step_lists<Op>(op, info[1], spec, true));
  Napi::External<StepLists> handle = Napi::External<StepLists>::New(info.Env(), lists, [](Napi::Env, StepLists* l) { delete l; });
  handle.TypeTag(&kStepListsTag);
  return handle;
}

template <typename Op>
Napi::Value prepared_step(const Napi::CallbackInfo& info, const std::string& op) {
  OpSpec<Op> spec;
  spec.parse(read_object(info[4], "options"));
  const Napi::Value v = info[1];
  if (!v.IsExternal() || !v.As<Napi::External<StepLists>>().CheckTypeTag(&kStepListsTag)) {
    throw Error(code::kInvalidArgument, "prepared: expected a handle from prepareStep()");
  }
  const StepLists& lists = *v.As<Napi::External<StepLists>>().Data();
  if (lists.op != op || lists.used_states != used_state_mask(spec)) {
    throw Error(code::kInvalidArgument, "prepared: this handle was prepared for " + lists.op + " with other state lists; prepare it again");
  }
  return run_step<Op>(info, lists, spec);
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
  if (op == #name) return fn(OpTag<Op>{}, op);
  CUOPTIM_ELEMENTWISE_OPS(CUOPTIM_DISPATCH)
#undef CUOPTIM_DISPATCH
  throw Error(code::kInvalidArgument, "op: unknown optimizer \"" + op + "\"");
}

Napi::Value optimizer_step(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    return with_op(info, [&](auto tag, const std::string& op) { return elementwise_step<typename decltype(tag)::type>(info, op); });
  });
}

Napi::Value prepare_step_entry(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    return with_op(info, [&](auto tag, const std::string& op) { return prepare_step<typename decltype(tag)::type>(info, op); });
  });
}

Napi::Value prepared_step_entry(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    return with_op(info, [&](auto tag, const std::string& op) { return prepared_step<typename decltype(tag)::type>(info, op); });
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
    return with_op(info, [&](auto tag, const std::string&) { return used_states<typename decltype(tag)::type>(info); });
  });
}

}  // namespace

void register_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("optimizerStep", Napi::Function::New(env, optimizer_step, "optimizerStep"));
  exports.Set("prepareStep", Napi::Function::New(env, prepare_step_entry, "prepareStep"));
  exports.Set("preparedStep", Napi::Function::New(env, prepared_step_entry, "preparedStep"));
  exports.Set("elementwiseOps", Napi::Function::New(env, elementwise_ops, "elementwiseOps"));
  exports.Set("elementwiseStates", Napi::Function::New(env, elementwise_states, "elementwiseStates"));
}

}  // namespace cuoptim
