// src-native/dist_ops.cc — cuoptim/distributed's native calls:
//   distInit({timeoutSeconds}) -> {rank, worldSize, transport, library}; distInfo(); distFinalize();
//   distAtExit(code); distBarrier();
//   distAllReduce(t, op); distReduceScatter(input, output, op); distAllGather(input, output);
//   distBroadcast(t, root); distReduce(t, root, op); distAllGatherBytes(bytes) -> bytes of all;
//   distGatherBytes(bytes, root) -> bytes of all on root.
//
// Every collective first all-gathers a small description of the call from every rank (which
// call, op, root, dtype, device, shape, and whether that rank's own arguments were valid) and
// compares them. A mismatch or a rank's bad argument is then an error on every rank, raised
// before any tensor is touched, instead of ranks waiting for each other in different calls. So
// a rank's argument errors are held back until the description is exchanged, never thrown first.
#include "dist_ops.h"

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "backend.h"
#include "binding_util.h"
#include "distributed/collectives.h"
#include "distributed/world.h"
#include "tensor_wrap.h"

namespace cuoptim {

namespace {

using dist::ReduceOp;
using dist::World;

enum class Call : int64_t { AllReduce = 1, ReduceScatter, AllGather, Broadcast, Reduce, Barrier, Bytes, GatherBytes };

const char* call_name(Call c) {
  switch (c) {
    case Call::AllReduce: return "allReduce";
    case Call::ReduceScatter: return "reduceScatter";
    case Call::AllGather: return "allGather";
    case Call::Broadcast: return "broadcast";
    case Call::Reduce: return "reduce";
    case Call::Barrier: return "barrier";
    case Call::Bytes: return "a metadata exchange";
    case Call::GatherBytes: return "a state gather";
  }
  return "?";
}

// What each rank says about its call; compared field by field across ranks.
struct Description {
  int64_t call = 0;
  int64_t invalid = 0;  // 1: this rank's arguments failed its own checks
  int64_t op = -1;
  int64_t root = -1;
  int64_t dtype = -1;
  int64_t device = -1;
  int64_t numel_in = -1;
  int64_t numel_out = -1;
  int64_t ndim = -1;
  int64_t shape[kMaxRank] = {0};
};

std::string shape_text(const Description& d) {
  std::string s = "[";
  for (int64_t i = 0; i < d.ndim && i < kMaxRank; ++i) s += (i ? ", " : "") + std::to_string(d.shape[i]);
  return s + "]";
}

// The first way `other` differs from `mine`, or "".
std::string difference(const Description& mine, const Description& other) {
  if (other.call != mine.call) return std::string("it called ") + call_name(static_cast<Call>(other.call));
  if (other.op != mine.op) return std::string("op ") + dist::reduce_op_name(static_cast<ReduceOp>(other.op)) + " vs " + dist::reduce_op_name(static_cast<ReduceOp>(mine.op));
  if (other.root != mine.root) return "root " + std::to_string(other.root) + " vs " + std::to_string(mine.root);
  if (other.dtype != mine.dtype) return std::string("dtype ") + dtype_name(static_cast<DType>(other.dtype)) + " vs " + dtype_name(static_cast<DType>(mine.dtype));
  if (other.device != mine.device) return std::string("device ") + device_name(static_cast<DeviceKind>(other.device)) + " vs " + device_name(static_cast<DeviceKind>(mine.device));
  if (other.ndim != mine.ndim || std::memcmp(other.shape, mine.shape, sizeof mine.shape) != 0) return "shape " + shape_text(other) + " vs " + shape_text(mine);
  if (other.numel_out != mine.numel_out) return "output of " + std::to_string(other.numel_out) + " elements vs " + std::to_string(mine.numel_out);
  if (other.numel_in != mine.numel_in) return std::to_string(other.numel_in) + " bytes vs " + std::to_string(mine.numel_in);
  return "";
}

// Exchanges the description; throws on every rank when any rank's arguments were bad or differ.
void agree(World& w, const Description& mine, const std::optional<Error>& local) {
  const char* what = call_name(static_cast<Call>(mine.call));
  const int n = w.info().size;
  std::vector<Description> all(n);
  w.all_gather(&mine, sizeof mine, all.data(), what);
  if (local) throw *local;
  for (int r = 0; r < n; ++r) {
    if (all[r].invalid) {
      throw Error(code::kDistributed, std::string(what) + ": rank " + std::to_string(r) + " passed invalid arguments (its own error says which); nothing was changed on any rank");
    }
  }
  for (int r = 0; r < n; ++r) {
    const std::string diff = difference(mine, all[r]);
    if (!diff.empty()) {
      throw Error(code::kDistributed, std::string(what) + ": rank " + std::to_string(r) + "'s call does not match rank " + std::to_string(w.info().rank) + "'s (" + diff +
                                          "); every rank must make the same collective calls in the same order with matching tensors; nothing was changed on any rank");
    }
  }
}

void describe_tensor(const Tensor& t, Description* d) {
  d->dtype = static_cast<int64_t>(t.dtype());
  d->device = static_cast<int64_t>(t.backend().kind());
  d->numel_in = t.numel();
  d->ndim = static_cast<int64_t>(t.shape().size());
  for (size_t i = 0; i < t.shape().size() && i < kMaxRank; ++i) d->shape[i] = t.shape()[i];
}

// A collective's tensor: live, on a device whose transfers can work here (NCCL for cuda).
Tensor& collective_tensor(const Napi::Value& v, const std::string& name) {
  Tensor& t = TensorWrap::unwrap(v, name);
  dist::check_mover(t.backend(), World::get());
  return t;
}

// The collective over t's backend, moved by MPI (host memory) or NCCL (cuda).
dist::Collective over(Tensor& t, World& w, Call call) {
  return {t.backend(), dist::mover_for(t.backend(), w), call_name(call)};
}

ReduceOp read_op(const Napi::Value& v, const std::string& name, DType dtype) {
  const std::string s = read_string(v, name);
  ReduceOp op;
  if (!dist::parse_reduce_op(s, &op)) throw_arg(code::kInvalidArgument, name, "\"sum\", \"avg\" or \"max\", got \"" + s + "\"");
  if (op == ReduceOp::Avg && dtype == DType::U8) throw Error(code::kDtype, name + ": \"avg\" is for float tensors, not uint8");
  return op;
}

// A collective's tensor and root rank, both described.
Tensor& read_rooted(const Napi::Value& tensor, const Napi::Value& root_arg, const World& w, Description* d, int* root) {
  Tensor& t = collective_tensor(tensor, "tensor");
  describe_tensor(t, d);
  *root = static_cast<int>(read_whole(root_arg, "root", 0, w.info().size - 1));
  d->root = *root;
  return t;
}

// Runs one collective: the world's lock, the readiness check, argument reading (errors held),
// the exchange, then `run`.
template <typename Read, typename Run>
Napi::Value collective(const Napi::CallbackInfo& info, Call call, Read&& read, Run&& run) {
  return guarded(info, [&]() -> Napi::Value {
    World& w = World::get();
    std::lock_guard<std::mutex> lock(w.mutex());
    w.require_ready(call_name(call));
    Description d;
    d.call = static_cast<int64_t>(call);
    std::optional<Error> local;
    try {
      read(w, &d);
      CallScope::ensure_live();
    } catch (const Error& e) {
      local = e;
      d.invalid = 1;
    } catch (const Napi::Error& e) {  // JS that threw while an argument was read
      local = Error(code::kInvalidArgument, std::string(call_name(call)) + ": reading an argument threw: " + e.Message());
      d.invalid = 1;
    }
    agree(w, d, local);
    run(w);
    return info.Env().Undefined();
  });
}

// The world's rank, size, transport and library, onto a JS object.
void set_world(Napi::Object out, const dist::WorldInfo& wi) {
  out.Set("rank", wi.rank);
  out.Set("worldSize", wi.size);
  out.Set("transport", wi.transport);
  out.Set("library", wi.library);
}

Napi::Value dist_init(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    double timeout = 1800;
    if (info[0].IsObject()) {
      Napi::Value t = info[0].As<Napi::Object>().Get("timeoutSeconds");
      if (!t.IsUndefined()) {
        timeout = read_number(t, "options.timeoutSeconds");
        if (!(timeout > 0)) throw_arg(code::kRange, "options.timeoutSeconds", "a number of seconds > 0");
      }
    }
    Napi::Object out = Napi::Object::New(info.Env());
    set_world(out, World::get().init(timeout));
    return out;
  });
}

// distInfo() -> {state: "uninitialized" | "ready" | "finalized", rank, worldSize, transport, library}:
// the process's world, the same from every thread.
Napi::Value dist_info(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    World& w = World::get();
    const std::string state = w.state_name();
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("state", state);
    if (state == "uninitialized") return out;
    set_world(out, w.info());  // written before the state left "uninitialized", never after
    return out;
  });
}

Napi::Value dist_finalize(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    World::get().finalize();
    return info.Env().Undefined();
  });
}

Napi::Value dist_at_exit(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    World::get().at_exit(static_cast<int>(read_whole(info[0], "code", -1000000, 1000000)));
    return info.Env().Undefined();
  });
}

Napi::Value dist_barrier(const Napi::CallbackInfo& info) {
  return collective(info, Call::Barrier, [](World&, Description*) {}, [](World& w) { w.barrier("barrier"); });
}

Napi::Value dist_all_reduce(const Napi::CallbackInfo& info) {
  Tensor* t = nullptr;
  ReduceOp op = ReduceOp::Sum;
  return collective(
      info, Call::AllReduce,
      [&](World&, Description* d) {
        t = &collective_tensor(info[0], "tensor");
        describe_tensor(*t, d);
        op = read_op(info[1], "op", t->dtype());
        d->op = static_cast<int64_t>(op);
      },
      [&](World& w) { dist::all_reduce(over(*t, w, Call::AllReduce), t->data(), t->numel(), t->dtype(), op); });
}

Napi::Value dist_reduce(const Napi::CallbackInfo& info) {
  Tensor* t = nullptr;
  ReduceOp op = ReduceOp::Sum;
  int root = 0;
  return collective(
      info, Call::Reduce,
      [&](World& w, Description* d) {
        t = &read_rooted(info[0], info[1], w, d, &root);
        op = read_op(info[2], "op", t->dtype());
        d->op = static_cast<int64_t>(op);
      },
      [&](World& w) { dist::reduce(over(*t, w, Call::Reduce), t->data(), t->numel(), t->dtype(), op, root); });
}

// Checks that `output` can hold `count` elements of the input's dtype, on its device.
void check_output(const Tensor& in, const Tensor& out, int64_t count, const std::string& relation) {
  if (&out == &in) throw Error(code::kInvalidArgument, "output: must be a tensor other than input");
  if (out.dtype() != in.dtype()) throw Error(code::kDtype, std::string("output: expected ") + dtype_name(in.dtype()) + " like input, got " + dtype_name(out.dtype()));
  if (&out.backend() != &in.backend()) throw Error(code::kDevice, std::string("output: expected a tensor on ") + in.backend().name() + " like input");
  if (out.numel() != count) throw Error(code::kShape, "output: expected " + std::to_string(count) + " elements (" + relation + "), got " + std::to_string(out.numel()));
}

Napi::Value dist_reduce_scatter(const Napi::CallbackInfo& info) {
  Tensor* in = nullptr;
  Tensor* out = nullptr;
  ReduceOp op = ReduceOp::Sum;
  return collective(
      info, Call::ReduceScatter,
      [&](World& w, Description* d) {
        in = &collective_tensor(info[0], "input");
        out = &collective_tensor(info[1], "output");
        describe_tensor(*in, d);
        const int n = w.info().size;
        if (in->numel() % n != 0) throw Error(code::kShape, "input: expected a multiple of the world size (" + std::to_string(n) + ") elements, got " + std::to_string(in->numel()));
        check_output(*in, *out, in->numel() / n, "input's elements / world size");
        d->numel_out = out->numel();
        op = read_op(info[2], "op", in->dtype());
        d->op = static_cast<int64_t>(op);
      },
      [&](World& w) { dist::reduce_scatter(over(*in, w, Call::ReduceScatter), in->data(), out->data(), out->numel(), in->dtype(), op); });
}

Napi::Value dist_all_gather(const Napi::CallbackInfo& info) {
  Tensor* in = nullptr;
  Tensor* out = nullptr;
  return collective(
      info, Call::AllGather,
      [&](World& w, Description* d) {
        in = &collective_tensor(info[0], "input");
        out = &collective_tensor(info[1], "output");
        describe_tensor(*in, d);
        check_output(*in, *out, in->numel() * w.info().size, "input's elements x world size");
        d->numel_out = out->numel();
      },
      [&](World& w) { dist::all_gather(over(*in, w, Call::AllGather), in->data(), in->bytes(), out->data()); });
}

Napi::Value dist_broadcast(const Napi::CallbackInfo& info) {
  Tensor* t = nullptr;
  int root = 0;
  return collective(
      info, Call::Broadcast,
      [&](World& w, Description* d) { t = &read_rooted(info[0], info[1], w, d, &root); },
      [&](World& w) { dist::broadcast(over(*t, w, Call::Broadcast), t->data(), t->bytes(), root); });
}

// The bytes of a Uint8Array argument.
std::vector<uint8_t> read_bytes(const Napi::Value& v) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) throw_arg(code::kInvalidArgument, "bytes", "a Uint8Array");
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  return std::vector<uint8_t>(a.Data(), a.Data() + a.ByteLength());
}

Napi::Uint8Array to_js(Napi::Env env, const std::vector<uint8_t>& bytes) {
  Napi::Uint8Array out = Napi::Uint8Array::New(env, bytes.size());
  if (!bytes.empty()) std::memcpy(out.Data(), bytes.data(), bytes.size());
  return out;
}

// Host bytes from every rank, rank after rank (the TypeScript layer's metadata: partition
// checks, norm totals, step agreement). Every rank must pass the same length.
Napi::Value dist_all_gather_bytes(const Napi::CallbackInfo& info) {
  std::vector<uint8_t> mine, all;
  collective(
      info, Call::Bytes,
      [&](World&, Description* d) {
        mine = read_bytes(info[0]);
        d->numel_in = static_cast<int64_t>(mine.size());
      },
      [&](World& w) {
        all.resize(mine.size() * w.info().size);
        w.all_gather(mine.data(), mine.size(), all.data(), "a metadata exchange");
      });
  return to_js(info.Env(), all);
}

// distGatherBytes(bytes, root): every rank's bytes on root, rank after rank (an empty array
// elsewhere); a sharded optimizer's state on the rank that consolidates it.
Napi::Value dist_gather_bytes(const Napi::CallbackInfo& info) {
  std::vector<uint8_t> mine, all;
  int root = 0;
  collective(
      info, Call::GatherBytes,
      [&](World& w, Description* d) {
        mine = read_bytes(info[0]);
        d->numel_in = static_cast<int64_t>(mine.size());
        root = static_cast<int>(read_whole(info[1], "root", 0, w.info().size - 1));
        d->root = root;
      },
      [&](World& w) {
        if (w.info().rank == root) all.resize(mine.size() * w.info().size);
        w.gather(mine.data(), mine.size(), all.data(), root, "a state gather");
      });
  return to_js(info.Env(), all);
}

}  // namespace

void register_dist_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("distInit", Napi::Function::New(env, dist_init, "distInit"));
  exports.Set("distFinalize", Napi::Function::New(env, dist_finalize, "distFinalize"));
  exports.Set("distInfo", Napi::Function::New(env, dist_info, "distInfo"));
  exports.Set("distAtExit", Napi::Function::New(env, dist_at_exit, "distAtExit"));
  exports.Set("distBarrier", Napi::Function::New(env, dist_barrier, "distBarrier"));
  exports.Set("distAllReduce", Napi::Function::New(env, dist_all_reduce, "distAllReduce"));
  exports.Set("distReduce", Napi::Function::New(env, dist_reduce, "distReduce"));
  exports.Set("distReduceScatter", Napi::Function::New(env, dist_reduce_scatter, "distReduceScatter"));
  exports.Set("distAllGather", Napi::Function::New(env, dist_all_gather, "distAllGather"));
  exports.Set("distBroadcast", Napi::Function::New(env, dist_broadcast, "distBroadcast"));
  exports.Set("distAllGatherBytes", Napi::Function::New(env, dist_all_gather_bytes, "distAllGatherBytes"));
  exports.Set("distGatherBytes", Napi::Function::New(env, dist_gather_bytes, "distGatherBytes"));
}

}  // namespace cuoptim
