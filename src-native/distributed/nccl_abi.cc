// src-native/distributed/nccl_abi.cc — dlopen of NCCL and dlsym of the calls in nccl_abi.h.
#include "nccl_abi.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <vector>

#include "../../kernels/errors.h"

namespace cuoptim::dist {

namespace {

template <typename Fn>
void resolve(void* handle, const char* name, Fn* out, std::vector<std::string>* missing) {
  *out = reinterpret_cast<Fn>(dlsym(handle, name));
  if (!*out) missing->push_back(name);
}

NcclLib open_nccl() {
  std::vector<std::string> candidates;
  if (const char* explicit_path = std::getenv("CUOPTIM_NCCL_LIBRARY"); explicit_path && *explicit_path) {
    candidates.emplace_back(explicit_path);
  } else {
    candidates = {"libnccl.so.2", "libnccl.so"};
  }
  std::string tried;
  for (const std::string& name : candidates) {
    void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = dlerror();
      tried += "\n  - " + name + ": " + (why ? why : "not found");
      continue;
    }
    NcclLib lib;
    lib.handle = handle;
    lib.path = name;
    std::vector<std::string> missing;
    resolve(handle, "ncclGetVersion", &lib.GetVersion, &missing);
    resolve(handle, "ncclGetUniqueId", &lib.GetUniqueId, &missing);
    resolve(handle, "ncclCommInitRank", &lib.CommInitRank, &missing);
    resolve(handle, "ncclCommDestroy", &lib.CommDestroy, &missing);
    resolve(handle, "ncclGetErrorString", &lib.GetErrorString, &missing);
    resolve(handle, "ncclAllGather", &lib.AllGather, &missing);
    resolve(handle, "ncclBroadcast", &lib.Broadcast, &missing);
    resolve(handle, "ncclSend", &lib.Send, &missing);
    resolve(handle, "ncclRecv", &lib.Recv, &missing);
    resolve(handle, "ncclGroupStart", &lib.GroupStart, &missing);
    resolve(handle, "ncclGroupEnd", &lib.GroupEnd, &missing);
    if (missing.empty() && lib.GetVersion(&lib.version) == kNcclSuccess && lib.version >= 2700) return lib;
    std::string names;
    for (const std::string& m : missing) names += (names.empty() ? "" : ", ") + m;
    tried += "\n  - " + name + ": " + (names.empty() ? "NCCL " + std::to_string(lib.version) + " is older than 2.7 (no point-to-point calls)" : "missing " + names);
    dlclose(handle);
  }
  throw Error(code::kDistributed,
              "collectives on cuda tensors need NCCL >= 2.7, loaded at run time, and it could not be loaded:" + tried +
                  "\nInstall it (NVIDIA's libnccl2 package, or the nvidia-nccl-cu12 wheel PyTorch uses) and put libnccl.so.2 on the "
                  "library path, or name it in CUOPTIM_NCCL_LIBRARY; or keep the tensors on cpu (Open MPI)");
}

}  // namespace

const NcclLib& load_nccl() {
  static std::mutex mutex;
  static NcclLib lib;
  std::lock_guard<std::mutex> lock(mutex);
  if (!lib.handle) lib = open_nccl();
  return lib;
}

}  // namespace cuoptim::dist
