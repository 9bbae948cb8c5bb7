// kernels/sim/device_registry.h — the registry of cuda-sim device allocations: the sim backend
// registers each buffer it allocates, and every kernel launch checks each pointer it passes
// (kernels/sim/cuda_sim.cc), as a GPU would fault on a host or freed pointer.
#pragma once

#include <cstddef>

namespace cuoptim {
namespace sim {

void register_device_allocation(const void* base, size_t bytes);
void unregister_device_allocation(const void* base);
// Throws cuoptim::Error unless p is null or points into a registered allocation; `argument` is
// the kernel argument's position, `field` the member it came from (or null).
void check_device_pointer(const void* p, const char* kernel, size_t argument, const char* field);

}  // namespace sim
}  // namespace cuoptim
