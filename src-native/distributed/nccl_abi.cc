// src-native/distributed/nccl_abi.cc — dlopen of NCCL and dlsym of the calls in nccl_abi.h.
#include "nccl_abi.h"

#include <mutex>
#include <vector>

#include "dl_library.h"
#include "../../kernels/errors.h"

namespace cuoptim::dist {

namespace {

NcclLib open_nccl() {
  std::string tried;
  for (const std::string& name : library_candidates("CUOPTIM_NCCL_LIBRARY", {"libnccl.so.2", "libnccl.so"})) {
    void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      tried += "\n  - " + name + ": " + dl_failure();
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
    tried += "\n  - " + name + ": " + (missing.empty() ? "NCCL " + std::to_string(lib.version) + " is older than 2.7 (no point-to-point calls)" : "missing " + joined(missing));
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
