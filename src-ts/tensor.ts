// src-ts/tensor.ts — the user-facing Tensor: a handle on a device buffer, plus its gradient.
//
// Values stay on the device; `data` is a zero-copy Float32Array on cpu, `toArray()` copies from
// any device. Tensors are freed by the garbage collector, or at once with free().
import { resolveDevice, type Device, type DeviceInput } from "./device.js";
import { fail } from "./errors.js";
import { describe, optionsObject } from "./validate.js";
import { native, type DTypeName, type NativeTensor, type Role } from "./native.js";
import * as workerThreads from "node:worker_threads";

// A Tensor is a handle on device memory: a structured clone (postMessage, structuredClone) would
// copy its fields and not its buffer. Where the runtime can refuse the clone (Node >= 22.10), it
// does; elsewhere the copy is a plain object that checkTensor names for what it is.
const markAsUncloneable = (workerThreads as { markAsUncloneable?: (o: object) => void }).markAsUncloneable;

/** The typed array that holds a dtype's values on the host. */
export type ArrayFor<D extends DTypeName> = D extends "uint8" ? Uint8Array : Float32Array;

export interface TensorOptions {
  /** "auto" (default): cuda when available, else cpu. */
  device?: DeviceInput;
}

function checkShape(shape: unknown, name = "shape"): number[] {
  if (!Array.isArray(shape)) fail("ERR_SHAPE", `${name}: expected an array of whole numbers >= 0, got ${typeof shape}`);
  shape.forEach((d, i) => {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      fail("ERR_SHAPE", `${name}[${i}]: expected a whole number >= 0, got ${String(d)}`);
    }
  });
  return [...(shape as number[])];
}

function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

export class Tensor<D extends DTypeName = "float32"> {
  /** @internal */
  readonly native: NativeTensor;
  readonly shape: readonly number[];
  readonly device: Device;
  readonly dtype: D;
  readonly numel: number;
  readonly bytes: number;
  #grad: Tensor | null = null;
  // Mirrors the native tensor's state, so hot paths (a step checks every param) need no call
  // into the addon; the native layer checks again before it touches memory.
  #freed = false;

  /** @internal Use tensor() or zeros(). */
  /** @internal Tensors are made by tensor(), zeros() and zerosLike(). */
  constructor(nativeTensor: NativeTensor) {
    if (!(nativeTensor instanceof native.Tensor)) fail("ERR_INVALID_ARGUMENT", "Tensor: use tensor(), zeros() or zerosLike() to make a tensor");
    this.native = nativeTensor;
    this.shape = Object.freeze(nativeTensor.shape);
    this.device = nativeTensor.device;
    this.dtype = nativeTensor.dtype as D;
    this.numel = nativeTensor.numel;
    this.bytes = nativeTensor.bytes;
    markAsUncloneable?.(this);
  }

  get freed(): boolean {
    return this.#freed;
  }

  /** The gradient the optimizer reads, or null. Must match this tensor's shape and device. */
  get grad(): Tensor | null {
    return this.#grad;
  }

  set grad(g: Tensor | null) {
    if (g !== null) {
      checkTensor(g, "grad");
      checkGradFor(this, g, "grad");
      g.native.setRole("grads");
    }
    this.#grad = g;
  }

  /** Zero-copy view of a cpu tensor's values; detached (length 0) once the tensor is freed. */
  get data(): ArrayFor<D> {
    this.assertLive("data");
    return this.native.view() as ArrayFor<D>;
  }

  /** A copy of the values, from any device (waits for queued work). */
  toArray(): ArrayFor<D> {
    this.assertLive("toArray");
    const out = (this.native.dtype === "uint8" ? new Uint8Array(this.numel) : new Float32Array(this.numel)) as ArrayFor<D>;
    this.native.download(out);
    return out;
  }

  /** Overwrites the values from a typed array of numel elements, or from another tensor. */
  set(values: ArrayFor<D> | Tensor<D>): this {
    this.assertLive("set");
    if (values instanceof Tensor) {
      values.assertLive("set(source)");
      this.native.copyFrom(values.native);
    } else {
      this.native.upload(unshared(values));
    }
    return this;
  }

  /** Sets every value to 0. */
  zero(): this {
    this.assertLive("zero");
    this.native.zero();
    return this;
  }

  /** Releases the memory now. Any later use throws ERR_FREED. */
  free(): void {
    this.#freed = true;
    this.native.free();
  }

  /** @internal */
  assertLive(what: string): void {
    if (this.#freed) fail("ERR_FREED", `${what}: the tensor has been freed`);
  }

  /** @internal */
  setRole(role: Role): void {
    if (!this.#freed) this.native.setRole(role);
  }

  toString(): string {
    return `Tensor(shape=${formatShape(this.shape)}, device=${this.device}${this.freed ? ", freed" : ""})`;
  }
}

/** Throws unless `grad` can be `param`'s gradient: live, same dtype, device and shape. */
export function checkGradFor(param: Tensor<DTypeName>, grad: Tensor<DTypeName>, name: string): void {
  grad.assertLive(name);
  if (grad.dtype !== param.dtype) fail("ERR_DTYPE", `${name}: expected dtype ${param.dtype} (the param's), got ${grad.dtype}`);
  if (grad.device !== param.device) {
    fail("ERR_DEVICE", `${name}: expected a tensor on ${param.device} (the param's device), got one on ${grad.device}`);
  }
  if (grad.shape.length !== param.shape.length || grad.shape.some((d, i) => d !== param.shape[i])) {
    fail("ERR_SHAPE", `${name}: expected shape ${formatShape(param.shape)} (the param's), got ${formatShape(grad.shape)}`);
  }
}

/** A new tensor holding a copy of `data` (a Float32Array of the shape's numel). */
/**
 * Typed arrays over a SharedArrayBuffer (which N-API cannot hand to native code) are copied into
 * ordinary memory first; others pass as they are.
 */
function unshared<A extends Float32Array | Uint8Array>(a: A): A {
  const shared = typeof SharedArrayBuffer !== "undefined" && ArrayBuffer.isView(a) && a.buffer instanceof SharedArrayBuffer;
  return shared ? (a.slice() as A) : a;
}

export function tensor(data: Float32Array, shape: readonly number[], options?: TensorOptions): Tensor {
  if (!(data instanceof Float32Array)) {
    fail("ERR_DTYPE", `data: expected a Float32Array, got ${data === null ? "null" : (data as object)?.constructor?.name ?? typeof data}`);
  }
  const dims = checkShape(shape);
  const numel = numelOf(dims);
  if (data.length !== numel) {
    fail("ERR_SHAPE", `data: expected ${numel} elements for shape ${formatShape(dims)}, got ${data.length}`);
  }
  const device = resolveDevice(optionsObject(options).device);
  const t = new Tensor(new native.Tensor(device, "float32", dims));
  t.native.upload(unshared(data));
  return t;
}

/** A new zero-filled tensor. */
export function zeros(shape: readonly number[], options?: TensorOptions): Tensor {
  const dims = checkShape(shape);
  return new Tensor(new native.Tensor(resolveDevice(optionsObject(options).device), "float32", dims));
}

/** Throws unless `v` is a Tensor (freed or not), saying what it got instead. */
export function checkTensor(v: unknown, name: string): asserts v is Tensor<DTypeName> {
  if (v instanceof Tensor) return;
  const o = v as Record<string, unknown> | null;
  const clone = typeof o === "object" && o !== null && "native" in o && Array.isArray(o.shape) && typeof o.dtype === "string" && typeof o.device === "string";
  fail(
    "ERR_INVALID_ARGUMENT",
    clone
      ? `${name}: expected a Tensor, got a plain object with a Tensor's fields: a structured clone (postMessage, structuredClone) copies a Tensor's fields, not its device memory. Send toArray() and the shape, and make a tensor from them on the other side`
      : `${name}: expected a Tensor, got ${describe(v)}`,
  );
}

/** A new zero-filled tensor with `like`'s shape and device. */
export function zerosLike(like: Tensor): Tensor {
  checkTensor(like, "like");
  like.assertLive("like");
  return new Tensor(new native.Tensor(like.device, "float32", [...like.shape]));
}

/**
 * @internal A zero-filled optimizer-state buffer (accounted as "state" in memoryStats), in paged
 * memory when asked and the device has it (cuda).
 */
export function stateTensor<D extends DTypeName = "float32">(device: Device, shape: readonly number[], dtype?: D, paged = false): Tensor<D> {
  return new Tensor<D>(new native.Tensor(device, dtype ?? "float32", [...shape], "state", paged));
}

export { formatShape };
