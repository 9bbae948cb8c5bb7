// src-native/distributed/mpi_abi.h — the part of Open MPI's C ABI cuoptim calls, loaded at run time.
//
// The addon links no MPI library: single-process use must load on machines without one. Open MPI
// (libmpi.so.40) is opened with dlopen when a program calls distributed.init() under mpirun.
// RTLD_GLOBAL, as mpi4py does, because Open MPI's own plugins look up libmpi's symbols. Handles
// in Open MPI's ABI are pointers: MPI_COMM_WORLD is the address of `ompi_mpi_comm_world`,
// MPI_BYTE of `ompi_mpi_byte`, and so on (mpi.h's OMPI_PREDEFINED_GLOBAL), so they are found with
// dlsym. MPICH-family libraries (integer handles, libmpi.so.12) are a different ABI.
#pragma once

#include <string>

namespace cuoptim::dist {

// Opaque handle types (Open MPI: pointers to its internal structs).
using MpiComm = void*;
using MpiDatatype = void*;
using MpiRequest = void*;
using MpiErrhandler = void*;

inline constexpr int kMpiSuccess = 0;
inline constexpr int kMpiThreadSerialized = 2;  // MPI_THREAD_SERIALIZED in Open MPI's enum
inline constexpr int kMpiMaxString = 1024;      // >= MPI_MAX_ERROR_STRING and MPI_MAX_LIBRARY_VERSION_STRING

struct MpiLib {
  void* handle = nullptr;
  std::string path;  // the library that was opened
  MpiComm comm_world = nullptr;
  MpiDatatype byte = nullptr;
  MpiErrhandler errors_return = nullptr;

  int (*Initialized)(int*) = nullptr;
  int (*Finalized)(int*) = nullptr;
  int (*Init_thread)(int*, char***, int, int*) = nullptr;
  int (*Finalize)() = nullptr;
  int (*Abort)(MpiComm, int) = nullptr;
  int (*Comm_rank)(MpiComm, int*) = nullptr;
  int (*Comm_size)(MpiComm, int*) = nullptr;
  int (*Comm_set_errhandler)(MpiComm, MpiErrhandler) = nullptr;
  int (*Error_string)(int, char*, int*) = nullptr;
  int (*Get_library_version)(char*, int*) = nullptr;
  int (*Test)(MpiRequest*, int*, void*) = nullptr;
  int (*Ibarrier)(MpiComm, MpiRequest*) = nullptr;
  int (*Ibcast)(void*, int, MpiDatatype, int, MpiComm, MpiRequest*) = nullptr;
  int (*Iallgather)(const void*, int, MpiDatatype, void*, int, MpiDatatype, MpiComm, MpiRequest*) = nullptr;
  int (*Ialltoall)(const void*, int, MpiDatatype, void*, int, MpiDatatype, MpiComm, MpiRequest*) = nullptr;
  int (*Igather)(const void*, int, MpiDatatype, void*, int, MpiDatatype, int, MpiComm, MpiRequest*) = nullptr;
};

// Opens Open MPI (CUOPTIM_MPI_LIBRARY, else libmpi.so.40, else libmpi.so) and resolves every
// symbol above. Throws cuoptim::Error (ERR_DISTRIBUTED) naming what was tried and how to install
// Open MPI when it cannot.
const MpiLib& load_mpi();

}  // namespace cuoptim::dist
