// src-native/distributed/dl_library.h — what mpi_abi.cc and nccl_abi.cc share to load a library
// at run time: the file names to try, and symbols looked up by name.
#pragma once

#include <dlfcn.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace cuoptim::dist {

// The environment variable's value alone when it is set, else the default names.
inline std::vector<std::string> library_candidates(const char* env, std::vector<std::string> defaults) {
  const char* v = std::getenv(env);
  return v && *v ? std::vector<std::string>{v} : defaults;
}

// dlerror()'s text for the last failure.
inline std::string dl_failure() {
  const char* why = dlerror();
  return why ? why : "not found";
}

// Looks `name` up in `handle` into *out; a missing symbol is added to `missing`.
template <typename T>
void resolve(void* handle, const char* name, T* out, std::vector<std::string>* missing) {
  *out = reinterpret_cast<T>(dlsym(handle, name));
  if (!*out) missing->push_back(name);
}

// "a, b, c".
inline std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace cuoptim::dist
