// src-native/distributed/mpi_abi.cc — dlopen of Open MPI and dlsym of the calls and handles in
// mpi_abi.h; the first successful load is kept for the process.
#include "mpi_abi.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <vector>

#include "../../kernels/errors.h"

namespace cuoptim::dist {

namespace {

std::string install_hint() {
  return "cuoptim/distributed runs over Open MPI, loaded at run time: install it (Debian/Ubuntu: "
         "apt-get install openmpi-bin libopenmpi-dev), launch with `mpirun -np N node script.mjs`, or name the "
         "library in CUOPTIM_MPI_LIBRARY";
}

template <typename Fn>
void resolve(void* handle, const char* name, Fn* out, std::vector<std::string>* missing) {
  *out = reinterpret_cast<Fn>(dlsym(handle, name));
  if (!*out) missing->push_back(name);
}

void* resolve_object(void* handle, const char* name, std::vector<std::string>* missing) {
  void* p = dlsym(handle, name);
  if (!p) missing->push_back(name);
  return p;
}

MpiLib open_mpi() {
  std::vector<std::string> candidates;
  if (const char* explicit_path = std::getenv("CUOPTIM_MPI_LIBRARY"); explicit_path && *explicit_path) {
    candidates.emplace_back(explicit_path);
  } else {
    candidates = {"libmpi.so.40", "libmpi.so"};
  }
  std::string tried;
  for (const std::string& name : candidates) {
    void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (!handle) {
      const char* why = dlerror();
      tried += "\n  - " + name + ": " + (why ? why : "not found");
      continue;
    }
    MpiLib lib;
    lib.handle = handle;
    lib.path = name;
    std::vector<std::string> missing;
    lib.comm_world = resolve_object(handle, "ompi_mpi_comm_world", &missing);
    lib.byte = resolve_object(handle, "ompi_mpi_byte", &missing);
    lib.errors_return = resolve_object(handle, "ompi_mpi_errors_return", &missing);
    resolve(handle, "MPI_Initialized", &lib.Initialized, &missing);
    resolve(handle, "MPI_Finalized", &lib.Finalized, &missing);
    resolve(handle, "MPI_Init_thread", &lib.Init_thread, &missing);
    resolve(handle, "MPI_Finalize", &lib.Finalize, &missing);
    resolve(handle, "MPI_Abort", &lib.Abort, &missing);
    resolve(handle, "MPI_Comm_rank", &lib.Comm_rank, &missing);
    resolve(handle, "MPI_Comm_size", &lib.Comm_size, &missing);
    resolve(handle, "MPI_Comm_set_errhandler", &lib.Comm_set_errhandler, &missing);
    resolve(handle, "MPI_Error_string", &lib.Error_string, &missing);
    resolve(handle, "MPI_Get_library_version", &lib.Get_library_version, &missing);
    resolve(handle, "MPI_Test", &lib.Test, &missing);
    resolve(handle, "MPI_Ibarrier", &lib.Ibarrier, &missing);
    resolve(handle, "MPI_Ibcast", &lib.Ibcast, &missing);
    resolve(handle, "MPI_Iallgather", &lib.Iallgather, &missing);
    resolve(handle, "MPI_Ialltoall", &lib.Ialltoall, &missing);
    resolve(handle, "MPI_Igather", &lib.Igather, &missing);
    if (missing.empty()) return lib;
    std::string names;
    for (const std::string& m : missing) names += (names.empty() ? "" : ", ") + m;
    tried += "\n  - " + name + ": not Open MPI's ABI (missing " + names + "; MPICH-family libraries are not supported)";
    dlclose(handle);
  }
  throw Error(code::kDistributed, "init: could not load Open MPI:" + tried + "\n" + install_hint());
}

}  // namespace

const MpiLib& load_mpi() {
  static std::mutex mutex;
  static MpiLib lib;
  std::lock_guard<std::mutex> lock(mutex);
  if (!lib.handle) lib = open_mpi();
  return lib;
}

}  // namespace cuoptim::dist
