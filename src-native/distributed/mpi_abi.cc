// src-native/distributed/mpi_abi.cc — dlopen of Open MPI and dlsym of the calls and handles in
// mpi_abi.h; the first successful load is kept for the process.
#include "mpi_abi.h"

#include <mutex>
#include <vector>

#include "dl_library.h"
#include "../../kernels/errors.h"

namespace cuoptim::dist {

namespace {

std::string install_hint() {
  return "cuoptim/distributed runs over Open MPI, loaded at run time: install it (Debian/Ubuntu: "
         "apt-get install openmpi-bin libopenmpi-dev), launch with `mpirun -np N node script.mjs`, or name the "
         "library in CUOPTIM_MPI_LIBRARY";
}

MpiLib open_mpi() {
  std::string tried;
  for (const std::string& name : library_candidates("CUOPTIM_MPI_LIBRARY", {"libmpi.so.40", "libmpi.so"})) {
    void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (!handle) {
      tried += "\n  - " + name + ": " + dl_failure();
      continue;
    }
    MpiLib lib;
    lib.handle = handle;
    lib.path = name;
    std::vector<std::string> missing;
    resolve(handle, "ompi_mpi_comm_world", &lib.comm_world, &missing);
    resolve(handle, "ompi_mpi_byte", &lib.byte, &missing);
    resolve(handle, "ompi_mpi_errors_return", &lib.errors_return, &missing);
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
    tried += "\n  - " + name + ": not Open MPI's ABI (missing " + joined(missing) + "; MPICH-family libraries are not supported)";
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
