// src-ts/device.ts — devices, backends and the runtime queries about them.
import { fail } from "./errors.js";
import { describe } from "./validate.js";
import { native, type DeviceName, type RoleBytes } from "./native.js";

/**
 * A device: "cpu" (multithreaded, vectorised), "cuda-sim" (the CUDA kernels run on the CPU by a
 * simulator) or "cuda" (the default GPU: CUOPTIM_CUDA_DEVICE, default 0); "cuda:N" is GPU N, and
 * "cuda-sim:N" one of the simulator's four devices (0 to 3). Tensors report the default device
 * of a kind by the kind's name: a tensor made on "cuda:0" reports "cuda" when 0 is the default.
 */
export type Device = DeviceName;
/** A Device, or "auto": cuda when available, else cpu. */
export type DeviceInput = Device | "auto";
/** A kind of device: its backend. */
export type DeviceKind = "cpu" | "cuda-sim" | "cuda";

/** One backend, as backends() reports it. */
export interface BackendInfo {
  name: DeviceKind;
  available: boolean;
  /** Why the backend cannot be used (absent when available). */
  reason?: string;
}

const DEVICE_NAME = /^(cpu|(cuda-sim|cuda)(:(0|[1-9][0-9]{0,5}))?)$/;

/** Every backend this build knows of, and whether it can be used here. */
export function backends(): BackendInfo[] {
  return native.backends();
}

/** The kind of a device name: "cuda:1" is "cuda", "cuda-sim:2" is "cuda-sim". */
export function deviceKind(device: Device): DeviceKind {
  if (typeof device !== "string" || !DEVICE_NAME.test(device)) {
    fail("ERR_DEVICE", `device: expected "cpu", "cuda-sim", "cuda", "cuda-sim:N" or "cuda:N", got ${describe(device)}`);
  }
  return device.startsWith("cuda-sim") ? "cuda-sim" : device.startsWith("cuda") ? "cuda" : "cpu";
}

/** How many devices of a kind this process can use: GPUs for "cuda" (0 when unavailable), 4 for "cuda-sim", 1 for "cpu". */
export function deviceCount(kind: DeviceKind): number {
  return native.deviceCount(kind);
}

/** Whether this device can be used here (backends() says why not). */
export function isAvailable(device: Device): boolean {
  return deviceStatus(device).available;
}

/** Whether a device can be used here, and why not when it cannot (a malformed name included). */
export function deviceStatus(device: Device): { available: boolean; reason?: string } {
  if (typeof device !== "string" || !DEVICE_NAME.test(device)) return { available: false, reason: `${describe(device)} is not a device name` };
  const info = native.deviceInfo(device);
  return info.available ? { available: true } : { available: false, reason: info.reason };
}

/** "auto" means cuda when a GPU is usable, else cpu. Throws for unknown or unusable devices. */
export function resolveDevice(device: DeviceInput | undefined, name = "device"): Device {
  const d = device ?? "auto";
  if (typeof d !== "string" || (d !== "auto" && !DEVICE_NAME.test(d))) {
    fail("ERR_DEVICE", `${String(name)}: expected "auto", "cpu", "cuda-sim", "cuda", "cuda-sim:N" or "cuda:N", got ${describe(d)}`);
  }
  if (d === "auto") return isAvailable("cuda") ? "cuda" : "cpu";
  const info = native.deviceInfo(d);
  if (!info.available) {
    fail("ERR_BACKEND_UNAVAILABLE", `${name}: "${d}" is not available: ${info.reason ?? "unknown backend"}`);
  }
  return info.name;
}

/** A backend's memory counters (bytes), as memoryStats() reports them. */
export interface MemoryStats {
  /** Bytes held now, by role (params, grads, optimizer state, other) and in total. */
  current: RoleBytes;
  /** Highest value of each counter since start or the last resetPeakMemoryStats(). */
  peak: RoleBytes;
}

/** The bytes cuoptim holds on a device now and at peak, by role (params, grads, state, other); device default "auto". */
export function memoryStats(device: DeviceInput = "auto"): MemoryStats {
  return native.memoryStats(resolveDevice(device));
}

/** Resets the peak counters of memoryStats() to the current values; device default "auto". */
export function resetPeakMemoryStats(device: DeviceInput = "auto"): void {
  native.resetPeakMemoryStats(resolveDevice(device));
}

/** Waits until every queued operation on the device has finished. */
export function synchronize(device: DeviceInput = "auto"): void {
  native.synchronize(resolveDevice(device));
}

/** Size of the cpu backend's thread pool (CUOPTIM_NUM_THREADS, else one per core). */
export function numThreads(): number {
  return native.numThreads();
}

/** Replaces the cpu thread pool. Results never depend on the thread count. */
export function setNumThreads(threads: number): void {
  native.setNumThreads(threads);
}

/** The instruction set the cpu kernels use: "avx512", "avx2" or "baseline". */
export function cpuIsa(): string {
  return native.cpuIsa();
}

/** Forces the cpu kernels' instruction set (for tests; results are identical on every ISA). */
export function setCpuIsa(isa: "avx512" | "avx2" | "baseline"): void {
  native.setCpuIsa(isa);
}
