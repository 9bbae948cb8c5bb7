// src-ts/device.ts — devices, backends and the runtime queries about them.
import { fail } from "./errors.js";
import { describe } from "./validate.js";
import { native, type DeviceName, type RoleBytes } from "./native.js";

/** A backend: "cpu" (multithreaded, vectorised), "cuda-sim" (the CUDA kernels run on the CPU by a simulator) or "cuda". */
export type Device = DeviceName;
/** A Device, or "auto": cuda when available, else cpu. */
export type DeviceInput = Device | "auto";

/** One backend, as backends() reports it. */
export interface BackendInfo {
  name: Device;
  available: boolean;
  /** Why the backend cannot be used (absent when available). */
  reason?: string;
}

const DEVICES: readonly DeviceInput[] = ["auto", "cpu", "cuda-sim", "cuda"];

/** Every backend this build knows of, and whether it can be used here. */
export function backends(): BackendInfo[] {
  return native.backends();
}

/** Whether this backend can be used here (backends() says why not). */
export function isAvailable(device: Device): boolean {
  return backends().some((b) => b.name === device && b.available);
}

/** "auto" means cuda when a GPU is usable, else cpu. Throws for unknown or unusable devices. */
export function resolveDevice(device: DeviceInput | undefined, name = "device"): Device {
  const d = device ?? "auto";
  if (typeof d !== "string" || !DEVICES.includes(d)) {
    fail("ERR_DEVICE", `${String(name)}: expected one of ${DEVICES.map((x) => `"${x}"`).join(", ")}, got ${describe(d)}`);
  }
  if (d === "auto") return isAvailable("cuda") ? "cuda" : "cpu";
  const info = backends().find((b) => b.name === d);
  if (!info?.available) {
    fail("ERR_BACKEND_UNAVAILABLE", `${name}: "${d}" is not available: ${info?.reason ?? "unknown backend"}`);
  }
  return d;
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
