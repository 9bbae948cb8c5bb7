// src-ts/tensor.ts — the user-facing Tensor: a handle on a device buffer, plus its gradient.
//
// Values stay on the device; `data` is a zero-copy typed array on cpu (a Uint16Array of raw bits
// for bfloat16 / float16), `toArray()` copies the values from any device (16-bit ones widened
// to float32), `toBits()` the raw bits. Tensors are freed by the garbage collector, or at once
// with free().
import { resolveDevice, type Device, type DeviceInput } from "./device.js";
import { fail } from "./errors.js";
import { describe, optionsObject } from "./validate.js";
import { native, type DTypeName, type NativeTensor, type Role } from "./native.js";
import * as workerThreads from "node:worker_threads";

// A Tensor is a handle on device memory: a structured clone (postMessage, structuredClone) would
// copy its fields and not its buffer. Where the runtime can refuse the clone (Node >= 22.10), it
// does; elsewhere the copy is a plain object that checkTensor names for what it is.
const markAsUncloneable = (workerThreads as { markAsUncloneable?: (o: object) => void }).markAsUncloneable;

/** The typed array toArray() returns: float32 values for every float dtype. */
export type ArrayFor<D extends DTypeName> = D extends "uint8" ? Uint8Array : Float32Array;
/** The zero-copy view `data` is: raw bits for the 16-bit dtypes. */
export type ViewFor<D extends DTypeName> = D extends "uint8" ? Uint8Array : D extends "float32" ? Float32Array : Uint16Array;
/** The raw bits toBits() returns. */
export type BitsFor<D extends DTypeName> = D extends "uint8" ? Uint8Array : D extends "float32" ? Uint32Array : Uint16Array;

/** The float dtypes a user's tensor may have. */
export type FloatDType = "float32" | "bfloat16" | "float16";
const FLOAT_DTYPES: readonly string[] = ["float32", "bfloat16", "float16"];

/** Where a new tensor lives and its dtype. */
export interface TensorOptions<D extends FloatDType = FloatDType> {
  /** "auto" (default): cuda when available, else cpu. */
  device?: DeviceInput;
  /**
   * "float32" (default), "bfloat16" or "float16". A Float32Array's values are rounded to the
   * nearest 16-bit value (ties to even); a Uint16Array is taken as the raw bits.
   */
  dtype?: D;
}

/** True for the 16-bit float dtypes. */
export function isHalf(dtype: DTypeName): dtype is "bfloat16" | "float16" {
  return dtype === "bfloat16" || dtype === "float16";
}

function checkDtype(v: unknown, name = "dtype"): FloatDType {
  if (v === undefined) return "float32";
  if (typeof v !== "string" || !FLOAT_DTYPES.includes(v)) {
    fail("ERR_DTYPE", `${name}: expected "float32", "bfloat16" or "float16", got ${typeof v === "string" ? JSON.stringify(v) : describe(v)}`);
  }
  return v as FloatDType;
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

/** A handle on a device buffer (cpu, cuda-sim or cuda) of float32, bfloat16, float16 or uint8 values, with an optional `.grad`; made by tensor() / zeros() / zerosLike(), freed by free() (or when garbage-collected). */
export class Tensor<D extends DTypeName = FloatDType> {
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

  /**
   * Zero-copy view of a cpu tensor's memory (a Uint16Array of raw bits for bfloat16 / float16);
   * detached (length 0) once the tensor is freed.
   */
  get data(): ViewFor<D> {
    this.assertLive("data");
    return this.native.view() as ViewFor<D>;
  }

  /** A copy of the values, from any device (16-bit values widened to float32; waits for queued work). */
  toArray(): ArrayFor<D> {
    this.assertLive("toArray");
    const out = (this.native.dtype === "uint8" ? new Uint8Array(this.numel) : new Float32Array(this.numel)) as ArrayFor<D>;
    this.native.download(out);
    return out;
  }

  /** A copy of the raw bits, from any device: Uint16Array (16-bit), Uint32Array (float32), Uint8Array (uint8). */
  toBits(): BitsFor<D> {
    this.assertLive("toBits");
    if (isHalf(this.dtype)) {
      const out = new Uint16Array(this.numel);
      this.native.download(out);
      return out as BitsFor<D>;
    }
    const values = this.toArray();
    return (values instanceof Float32Array ? new Uint32Array(values.buffer) : values) as BitsFor<D>;
  }

  /**
   * Overwrites the values from a typed array of numel elements (a 16-bit tensor takes a
   * Float32Array of values, rounded to nearest-even, or a Uint16Array of raw bits), or from
   * another tensor of the same dtype.
   */
  set(values: ArrayFor<D> | ViewFor<D> | Tensor<D>): this {
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
    return `Tensor(shape=${formatShape(this.shape)}, device=${this.device}${this.dtype === "float32" ? "" : `, dtype=${this.dtype}`}${this.freed ? ", freed" : ""})`;
  }
}

/**
 * Throws unless `grad` can be `param`'s gradient: live, on its device, of its shape, and of its
 * dtype (a 16-bit param's grad may also be float32: gradients accumulated in float32).
 */
export function checkGradFor(param: Tensor<DTypeName>, grad: Tensor<DTypeName>, name: string): void {
  grad.assertLive(name);
  if (grad.dtype !== param.dtype && !(isHalf(param.dtype) && grad.dtype === "float32")) {
    fail("ERR_DTYPE", `${name}: expected dtype ${param.dtype} (the param's)${isHalf(param.dtype) ? " or float32" : ""}, got ${grad.dtype}`);
  }
  if (grad.device !== param.device) {
    fail("ERR_DEVICE", `${name}: expected a tensor on ${param.device} (the param's device), got one on ${grad.device}`);
  }
  if (grad.shape.length !== param.shape.length || grad.shape.some((d, i) => d !== param.shape[i])) {
    fail("ERR_SHAPE", `${name}: expected shape ${formatShape(param.shape)} (the param's), got ${formatShape(grad.shape)}`);
  }
}

/**
 * Typed arrays over a SharedArrayBuffer (which N-API cannot hand to native code) are copied into
 * ordinary memory first; others pass as they are.
 */
function unshared<A extends Float32Array | Uint16Array | Uint8Array>(a: A): A {
  const shared = typeof SharedArrayBuffer !== "undefined" && ArrayBuffer.isView(a) && a.buffer instanceof SharedArrayBuffer;
  return shared ? (a.slice() as A) : a;
}

/**
 * A new tensor holding a copy of `data`: a Float32Array of the shape's numel values (rounded to
 * nearest-even for a 16-bit dtype), or for bfloat16 / float16 a Uint16Array of raw bits.
 */
export function tensor<D extends FloatDType = "float32">(data: Float32Array | Uint16Array, shape: readonly number[], options?: TensorOptions<D>): Tensor<D> {
  const o = optionsObject(options) as TensorOptions<D>;
  const dtype = checkDtype(o.dtype, "options.dtype") as D;
  if (!(data instanceof Float32Array) && !(data instanceof Uint16Array && isHalf(dtype))) {
    const got = data === null ? "null" : (data as object)?.constructor?.name ?? typeof data;
    fail("ERR_DTYPE", `data: expected a Float32Array${isHalf(dtype) ? ` or a Uint16Array (raw ${dtype} bits)` : ""}, got ${got}`);
  }
  const dims = checkShape(shape);
  const numel = numelOf(dims);
  if (data.length !== numel) {
    fail("ERR_SHAPE", `data: expected ${numel} elements for shape ${formatShape(dims)}, got ${data.length}`);
  }
  const device = resolveDevice(o.device);
  const t = new Tensor<D>(new native.Tensor(device, dtype, dims));
  t.native.upload(unshared(data));
  return t;
}

/** A new zero-filled tensor (options.dtype: "float32" by default). */
export function zeros<D extends FloatDType = "float32">(shape: readonly number[], options?: TensorOptions<D>): Tensor<D> {
  const dims = checkShape(shape);
  const o = optionsObject(options) as TensorOptions<D>;
  const dtype = checkDtype(o.dtype, "options.dtype") as D;
  return new Tensor<D>(new native.Tensor(resolveDevice(o.device), dtype, dims));
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

/** A new zero-filled tensor with `like`'s shape and device, and its dtype unless options.dtype says otherwise. */
export function zerosLike<D extends FloatDType>(like: Tensor<D>, options?: { dtype?: FloatDType }): Tensor<D> {
  checkTensor(like, "like");
  like.assertLive("like");
  const o = optionsObject(options) as { dtype?: FloatDType };
  const dtype = o.dtype === undefined ? like.dtype : checkDtype(o.dtype, "options.dtype");
  return new Tensor<D>(new native.Tensor(like.device, dtype, [...like.shape]));
}

/**
 * @internal A zero-filled optimizer-state buffer (accounted as "state" in memoryStats), in paged
 * memory when asked and the device has it (cuda).
 */
export function stateTensor<D extends DTypeName = "float32">(device: Device, shape: readonly number[], dtype?: D, paged = false): Tensor<D> {
  return new Tensor<D>(new native.Tensor(device, dtype ?? "float32", [...shape], "state", paged));
}

export { formatShape };
