// src-native/distributed/nccl_abi.h — the part of NCCL's C API cuoptim calls, loaded at run time.
//
// NCCL is not linked: it comes with users' CUDA or PyTorch installs (libnccl.so.2), and only
// collectives on cuda tensors in a job of more than one rank need it. The enum values and the
// 128-byte unique id are NCCL's stable C ABI (nccl.h); point-to-point calls need NCCL >= 2.7.
#pragma once

#include <cstddef>
#include <string>

namespace cuoptim::dist {

using NcclComm = void*;
struct NcclUniqueId {
  char internal[128];
};
inline constexpr int kNcclSuccess = 0;
inline constexpr int kNcclInt8 = 0;  // ncclInt8: bytes

struct NcclLib {
  void* handle = nullptr;
  std::string path;
  int version = 0;  // NCCL_VERSION_CODE: major * 1000 + minor * 100 + patch before 2.9, major * 10000 + ... since

  int (*GetVersion)(int*) = nullptr;
  int (*GetUniqueId)(NcclUniqueId*) = nullptr;
  int (*CommInitRank)(NcclComm*, int, NcclUniqueId, int) = nullptr;
  int (*CommDestroy)(NcclComm) = nullptr;
  const char* (*GetErrorString)(int) = nullptr;
  int (*AllGather)(const void*, void*, size_t, int, NcclComm, void*) = nullptr;
  int (*Broadcast)(const void*, void*, size_t, int, int, NcclComm, void*) = nullptr;
  int (*Send)(const void*, size_t, int, int, NcclComm, void*) = nullptr;
  int (*Recv)(void*, size_t, int, int, NcclComm, void*) = nullptr;
  int (*GroupStart)() = nullptr;
  int (*GroupEnd)() = nullptr;
};

// Opens NCCL (CUOPTIM_NCCL_LIBRARY, else libnccl.so.2, else libnccl.so) and resolves every
// symbol above; throws cuoptim::Error (ERR_DISTRIBUTED) naming what was tried and how to get
// NCCL when it cannot. The first successful load is kept for the process.
const NcclLib& load_nccl();

}  // namespace cuoptim::dist
