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
//   prepareStep(op, lists, options, stepsDone) makes the handle capturable (adam): the step counts
//   and scalars live in a device record the kernels read, written by the device each step, so
//   the step can be captured in a CUDA graph; capturableHeader(op, handle, options) writes the
//   options (lr) into it, in stream order, before each step or replay
//   beginCapture(device), endCapture(device) -> graph, replayGraph(graph): CUDA graphs (cuda)
//   elementwiseOps() -> {name: {states, readsGrad}}: the op list, for the TypeScript layer
//   elementwiseStates(op, options) -> the names of the states the op uses under these options
#include "ops.h"

#include <cmath>
#include <memory>
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
  // A capturable step (Adam): the CapturableRecord's memory, a uint8 tensor on the lists' backend
  // (counted as state by memoryStats), whose scalars the kernels read.
  std::unique_ptr<Tensor> record;
  bool released = false;  // releasePrepared(): nothing held any more

  CapturableRecord capturable() const { return {record->data(), static_cast<int64_t>(r.params.size())}; }
};

// Ops whose step can be capturable: their scalars have a device-side form (kernels/cuda/capturable.cu).
template <typename Op>
inline constexpr bool kCapturable = std::is_same_v<Op, math::AdamOp>;

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
      const auto name = [&] { return std::string(s.name) + "[" + std::to_string(i) + "]"; };
      const Tensor& t = batch.unwrap_at(v, name);
      // A second read of a JS array may give another value (a getter): hold only what was checked.
      if (t.data() != out.r.lists.ptrs[i][s.slot]) throw Error(code::kInvalidArgument, name() + ": changed while the lists were read");
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
  if (lists.record && storage.stochastic) throw Error(code::kInvalidArgument, "storage: a capturable step cannot round stochastically (its keys come from the host)");
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
  } else if (!lists.record) {
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
  // Capturable: the device advances the step counts and computes the scalars (the record's header
  // holds the options, written by capturableHeader before this step).
  if constexpr (kCapturable<Op>) {
    if (lists.record) {
      r.backend->capturable_adam_advance(lists.capturable());
      args.lists.scalar_table = lists.capturable().scalars();
    }
  }
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
  std::unique_ptr<StepLists> lists = std::make_unique<StepLists>(read_step_lists<Op>(op, info[1], spec, true));
  // capturable: the step counts so far (Float64Array), from which the device record starts.
  if (info.Length() > 3 && !info[3].IsUndefined()) {
    if (!kCapturable<Op>) throw Error(code::kInvalidArgument, "capturable: only adam steps can be capturable, not " + op);
    const size_t n = lists->r.params.size();
    std::vector<double> done(n);
    if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        info[3].As<Napi::Float64Array>().ElementLength() != n) {
      throw Error(code::kInvalidArgument, "capturable: expected a Float64Array of " + std::to_string(n) + " step counts");
    }
    const Napi::Float64Array steps = info[3].As<Napi::Float64Array>();
    for (size_t i = 0; i < n; ++i) {
      done[i] = steps[i];
      if (!(done[i] >= 0 && done[i] < 9007199254740992.0 && done[i] == std::floor(done[i]))) {
        throw Error(code::kRange, "capturable[" + std::to_string(i) + "]: expected a whole number in [0, 2^53), got " + std::to_string(done[i]));
      }
    }
    if (n > 0) {
      Backend& backend = *lists->r.backend;
      lists->record = std::make_unique<Tensor>(backend, DType::U8, std::vector<int64_t>{static_cast<int64_t>(CapturableRecord::bytes(static_cast<int64_t>(n)))}, Role::State);
      backend.upload(lists->capturable().steps(), done.data(), n * sizeof(double));
    }
  }
  Napi::External<StepLists> handle = Napi::External<StepLists>::New(info.Env(), lists.release(), [](Napi::Env, StepLists* l) { delete l; });
  handle.TypeTag(&kStepListsTag);
  return handle;
}

// The StepLists behind a prepareStep handle, prepared for this op and these options' states.
template <typename Op>
const StepLists& prepared_lists(const Napi::Value& v, const std::string& op, const OpSpec<Op>& spec) {
  if (!v.IsExternal() || !v.As<Napi::External<StepLists>>().CheckTypeTag(&kStepListsTag)) {
    throw Error(code::kInvalidArgument, "prepared: expected a handle from prepareStep()");
  }
  const StepLists& lists = *v.As<Napi::External<StepLists>>().Data();
  if (lists.released) throw Error(code::kInvalidArgument, "prepared: this handle was released");
  if (lists.op != op || lists.used_states != used_state_mask(spec)) {
    throw Error(code::kInvalidArgument, "prepared: this handle was prepared for " + lists.op + " with other state lists; prepare it again");
  }
  return lists;
}

template <typename Op>
Napi::Value prepared_step(const Napi::CallbackInfo& info, const std::string& op) {
  OpSpec<Op> spec;
  spec.parse(read_object(info[4], "options"));
  return run_step<Op>(info, prepared_lists<Op>(info[1], op, spec), spec);
}

// capturableHeader(op, handle, options): writes the options a capturable step's scalars depend
// on into its record, in stream order (before each step, and before each replay of a graph).
template <typename Op>
Napi::Value capturable_header(const Napi::CallbackInfo& info, const std::string& op) {
  OpSpec<Op> spec;
  spec.parse(read_object(info[2], "options"));
  const StepLists& lists = prepared_lists<Op>(info[1], op, spec);
  if (!lists.record) {
    if (lists.r.params.empty()) return info.Env().Undefined();
    throw Error(code::kInvalidArgument, "prepared: this handle is not capturable");
  }
  if constexpr (kCapturable<Op>) {
    const CapturableHeader h{spec.lr, spec.beta1, spec.beta2, spec.weight_decay};
    lists.r.backend->upload(lists.record->data(), &h, sizeof h);
  }
  return info.Env().Undefined();
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

// releasePrepared(handle): lets go of the tensors and frees the device record now, rather than
// when the handle is collected.
Napi::Value release_prepared(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const Napi::Value v = info[0];
    if (!v.IsExternal() || !v.As<Napi::External<StepLists>>().CheckTypeTag(&kStepListsTag)) {
      throw Error(code::kInvalidArgument, "prepared: expected a handle from prepareStep()");
    }
    StepLists& lists = *v.As<Napi::External<StepLists>>().Data();
    lists.released = true;
    lists.held.clear();
    lists.refs.clear();
    lists.record.reset();
    return info.Env().Undefined();
  });
}

Napi::Value capturable_header_entry(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    return with_op(info, [&](auto tag, const std::string& op) { return capturable_header<typename decltype(tag)::type>(info, op); });
  });
}

// beginCapture(device) / endCapture(device) -> graph / replayGraph(graph): CUDA graphs of whole
// steps (Backend::begin_capture). The graph handle destroys its graph when collected.
struct Graph {
  Backend* backend;
  void* exec;
};
constexpr napi_type_tag kGraphTag = {0x6375'6f70'7469'6d2dULL, 0x6772'6170'6800'0000ULL};

Napi::Value begin_capture(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    usable_backend(read_string(info[0], "device")).begin_capture();
    return info.Env().Undefined();
  });
}

Napi::Value end_capture(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Backend& backend = usable_backend(read_string(info[0], "device"));
    auto graph = std::make_unique<Graph>(Graph{&backend, backend.end_capture()});
    Napi::External<Graph> handle = Napi::External<Graph>::New(info.Env(), graph.release(), [](Napi::Env, Graph* g) {
      g->backend->destroy_graph(g->exec);
      delete g;
    });
    handle.TypeTag(&kGraphTag);
    return handle;
  });
}

Napi::Value replay_graph(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const Napi::Value v = info[0];
    if (!v.IsExternal() || !v.As<Napi::External<Graph>>().CheckTypeTag(&kGraphTag)) {
      throw Error(code::kInvalidArgument, "graph: expected a handle from endCapture()");
    }
    const Graph& g = *v.As<Napi::External<Graph>>().Data();
    g.backend->replay(g.exec);
    return info.Env().Undefined();
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
  exports.Set("releasePrepared", Napi::Function::New(env, release_prepared, "releasePrepared"));
  exports.Set("capturableHeader", Napi::Function::New(env, capturable_header_entry, "capturableHeader"));
  exports.Set("beginCapture", Napi::Function::New(env, begin_capture, "beginCapture"));
  exports.Set("endCapture", Napi::Function::New(env, end_capture, "endCapture"));
  exports.Set("replayGraph", Napi::Function::New(env, replay_graph, "replayGraph"));
  exports.Set("elementwiseOps", Napi::Function::New(env, elementwise_ops, "elementwiseOps"));
  exports.Set("elementwiseStates", Napi::Function::New(env, elementwise_states, "elementwiseStates"));
}

}  // namespace cuoptim
