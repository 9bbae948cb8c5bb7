// src-native/backend.h — the one interface each backend (cpu, cuda-sim, cuda) implements.
//
// A backend owns its memory (allocation, host<->device copies) and runs the optimizer ops on
// pointers it allocated. Ops are given validated arguments (kernels/op_args.h); a backend throws
// cuoptim::Error for failures of its own (out of memory, a failed launch).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "memory_stats.h"
#include "../kernels/op_args.h"

namespace cuoptim {

enum class DeviceKind : uint8_t { Cpu = 0, CudaSim, Cuda };
inline constexpr int kDeviceKindCount = 3;

const char* device_name(DeviceKind kind);
bool parse_device(const std::string& name, DeviceKind* out);

// The simulator presents this many devices: cuda-sim:0 (also "cuda-sim") to cuda-sim:3.
inline constexpr int kSimDevices = 4;

class Backend {
 public:
  virtual ~Backend() = default;

  virtual DeviceKind kind() const = 0;
  // The device name tensors report: the kind ("cpu", "cuda-sim", "cuda") for its default device,
  // "cuda:N" / "cuda-sim:N" for another one.
  virtual std::string name() const { return device_name(kind()); }
  // Whether tensors can live here; when not, *reason says why (no driver, not compiled in...).
  virtual bool available(std::string* reason) const = 0;
  // Whether the CPU may read this backend's memory directly (zero-copy typed-array views).
  virtual bool host_accessible() const = 0;

  virtual void* allocate(size_t bytes) = 0;
  virtual void deallocate(void* ptr, size_t bytes) = 0;
  // Paged memory (bitsandbytes' paged optimizers): on cuda, managed memory the driver migrates
  // between host and device and evicts under pressure; elsewhere an ordinary allocation, and
  // *paged says which it was.
  virtual void* allocate_paged(size_t bytes, bool* paged) {
    *paged = false;
    return allocate(bytes);
  }
  virtual void deallocate_paged(void* ptr, size_t bytes) { deallocate(ptr, bytes); }
  // Moves paged buffers to the device ahead of a step (a no-op where nothing is paged).
  virtual void prefetch(const std::vector<std::pair<void*, size_t>>&) {}
  virtual void fill_zero(void* dst, size_t bytes) = 0;
  virtual void upload(void* dst, const void* host_src, size_t bytes) = 0;
  virtual void download(void* host_dst, const void* src, size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;
  // Waits for queued work; a no-op where ops run synchronously.
  virtual void synchronize() {}

  // One method per element-wise optimizer: adam(), sgd(), rmsprop(), lion(), ...
#define CUOPTIM_BACKEND_OP(name, Op) virtual void name(const ElementwiseArgs<Op>& args) = 0;
  CUOPTIM_ELEMENTWISE_OPS(CUOPTIM_BACKEND_OP)
#undef CUOPTIM_BACKEND_OP
  // One per blockwise 8-bit optimizer: adam8bit(), lion8bit(), ademamix8bit().
#define CUOPTIM_BACKEND_OP(name, Rule) virtual void name(const BlockwiseArgs<Rule>& args) = 0;
  CUOPTIM_BLOCKWISE_OPS(CUOPTIM_BACKEND_OP)
#undef CUOPTIM_BACKEND_OP
  virtual void quantize_blockwise(const QuantizeArgs& args) = 0;
  virtual void dequantize_blockwise(const QuantizeArgs& args) = 0;
  virtual void adafactor(const AdafactorArgs& args) = 0;
  // C <- alpha op(A) op(B) + beta C (kernels/math/gemm.cuh), and base[i*ld + i] += value.
  virtual void gemm(const math::GemmArgs& g) = 0;
  // Independent products side by side (the cuda kernels: one launch); by default one by one.
  virtual void gemm_batched(const math::GemmBatch& b) {
    for (int i = 0; i < b.count; ++i) gemm(b.g[i]);
  }
  virtual void add_diagonal(float* base, int64_t n, int64_t ld, float value) = 0;

  // One partial per kNormChunk elements of each grad (see kernels/cuda/grad_norm.cu), written to
  // the host vector in (tensor, chunk) order; `args.lists` holds the grads only.
  virtual void grad_norm_partials(const NormArgs& args, std::vector<double>* partials) = 0;
  virtual void transform(const TransformArgs& args) = 0;
  // A reduction across ranks over this backend's memory (cuoptim/distributed's collectives).
  virtual void fold_ranks(const FoldArgs& args) = 0;

  // A capturable Adam step (kernels/cuda/capturable.cu): advances every step count of the record
  // by one and computes its scalars, where the record lives.
  virtual void capturable_adam_advance(const CapturableRecord& r) = 0;
  // CUDA graphs (cuda only; elsewhere these throw): what this thread enqueues between
  // begin_capture() and end_capture() is recorded, not run; replay() enqueues it all again.
  virtual void begin_capture();
  virtual void* end_capture();
  virtual void replay(void* graph);
  virtual void destroy_graph(void* graph);

  // Runs a kernels/cuda/selftest.cu kernel on buffers of this backend (cuda and cuda-sim only).
  virtual void kernel_selftest(const char* name, const float* in, float* out, int* scratch, int n, int block, int flag);

  MemoryCounters& memory() { return memory_; }

  // bitsandbytes' dynamic map (kernels/math/quant8.cuh) in this backend's memory, made on first
  // use and kept for the process (2 KiB, not counted in memoryStats).
  const float* dynamic_map(bool is_signed);

 private:
  MemoryCounters memory_;
  void* maps_[2] = {nullptr, nullptr};
};

// For device backends: allocates the partials buffer, has `launch` fill it (the args carry the
// per-tensor partial pointers as list 1), copies it to `partials` and frees it.
void device_norm_partials(Backend& backend, const NormArgs& grads, std::vector<double>* partials,
                          const std::function<void(const NormArgs&)>& launch);

// The backend for a device kind's default device, or nullptr when this addon was built without it.
Backend* backend_for(DeviceKind kind);
// Why a device kind cannot be used here, or "" when it can.
std::string unavailable_reason(DeviceKind kind);

// A device name looked up: "cpu", "cuda-sim", "cuda", or "cuda-sim:N" / "cuda:N" for device N.
struct DeviceLookup {
  Backend* backend = nullptr;  // null when unavailable
  std::string name;            // the backend's own name: "cuda:0" is "cuda" when 0 is the default device
  std::string reason;          // why it is unavailable, or ""
};
// Throws ERR_DEVICE (naming `arg`) when the name is malformed; an absent or unusable device is
// a lookup with a reason.
DeviceLookup look_up_device(const std::string& name, const std::string& arg = "device");
// The backend a device name (argument `arg`) refers to; a cuoptim::Error when the name is
// unknown or the device unusable, with the reason.
Backend& usable_backend(const std::string& name, const std::string& arg = "device");
// How many devices of a kind this process can use (0 when the kind is unavailable).
int device_count(DeviceKind kind);

}  // namespace cuoptim
