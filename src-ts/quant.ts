// src-ts/quant.ts — bitsandbytes-style 8-bit blockwise quantization of any tensor, and the
// dynamic maps the 8-bit optimizers use (kernels/math/quant8.cuh).
import { fail } from "./errors.js";
import { native } from "./native.js";
import { checkTensor, formatShape, Tensor } from "./tensor.js";
import { checkBool, checkNumber, optionsObject } from "./validate.js";

/** Options of quantizeBlockwise(). */
export interface QuantizeOptions {
  /** Elements per block, a power of two from 64 to 4096 (default 4096, bitsandbytes' default). */
  blockSize?: number;
  /** The signed dynamic map (default) or the unsigned one (for non-negative values). */
  signed?: boolean;
  /**
   * Tensors to write the result into instead of new ones (bitsandbytes' `out` / `absmax`):
   * `codes` a uint8 tensor of x's shape, `absmax` a float32 tensor of ceil(numel / blockSize)
   * elements, both on x's device (default: none, new tensors).
   */
  out?: { codes: Tensor<"uint8">; absmax: Tensor };
}

/** Options of dequantizeBlockwise(). */
export interface DequantizeOptions {
  /** A float32 tensor of the codes' shape and device to write into (default: none, a new tensor). */
  out?: Tensor;
}

/** A tensor quantized blockwise to 8-bit codes of bitsandbytes' dynamic map, with one absmax per block. */
export interface QuantizedTensor {
  codes: Tensor<"uint8">;
  absmax: Tensor;
  shape: readonly number[];
  blockSize: number;
  signed: boolean;
}

/** The 256 sorted codes of bitsandbytes' dynamic map (create_dynamic_map). */
export function dynamicMap(options?: { signed?: boolean }): Float32Array {
  const { signed = true } = optionsObject(options);
  return native.dynamicMap(checkBool(signed, "signed"));
}

function checkBlockSize(b: unknown): number {
  const n = checkNumber(b, "blockSize", { min: 64, max: 4096, integer: true });
  if ((n & (n - 1)) !== 0) fail("ERR_RANGE", `blockSize: expected a power of two from 64 to 4096, got ${n}`);
  return n;
}

// An `out` tensor the caller passed: a live Tensor of the dtype, shape and device expected.
function checkOut(t: unknown, name: string, dtype: string, shape: readonly number[], device: string): Tensor<never> {
  checkTensor(t, name);
  t.assertLive(name);
  if (t.dtype !== dtype) fail("ERR_DTYPE", `${name}: expected a ${dtype} tensor, got ${t.dtype}`);
  if (t.device !== device) fail("ERR_DEVICE", `${name}: expected a tensor on ${device}, got ${t.device}`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) fail("ERR_SHAPE", `${name}: expected shape ${formatShape(shape)}, got ${formatShape(t.shape)}`);
  return t as Tensor<never>;
}

/** Per block: absmax = max |x|, code = the map entry nearest to x / absmax. */
export function quantizeBlockwise(x: Tensor, options?: QuantizeOptions): QuantizedTensor {
  const { blockSize = 4096, signed = true, out } = optionsObject(options);
  checkTensor(x, "x");
  x.assertLive("x");
  const block = checkBlockSize(blockSize);
  checkBool(signed, "signed");
  const blocks = Math.ceil(x.numel / block);
  let given: { codes: Tensor<"uint8">; absmax: Tensor } | undefined;
  if (out !== undefined) {
    if (typeof out !== "object" || out === null) fail("ERR_INVALID_ARGUMENT", "out: expected { codes, absmax }");
    const { codes, absmax } = out;
    given = { codes: checkOut(codes, "out.codes", "uint8", x.shape, x.device), absmax: checkOut(absmax, "out.absmax", "float32", [blocks], x.device) };
  }
  // A NaN or infinite value has no code: its block's absmax would be infinite and every code in
  // the block meaningless. One max-reduction finds them.
  if (x.numel > 0 && !Number.isFinite(native.gradNorm([x.native], Infinity))) fail("ERR_RANGE", "x: holds NaN or Infinity; blockwise quantization needs finite values");
  const codes = given?.codes ?? new Tensor<"uint8">(new native.Tensor(x.device, "uint8", [...x.shape]));
  const absmax = given?.absmax ?? new Tensor(new native.Tensor(x.device, "float32", [blocks]));
  native.quantizeBlockwise(x.native, codes.native, absmax.native, block, signed);
  return { codes, absmax, shape: x.shape, blockSize: block, signed };
}

/** code[codes] * absmax of each element's block, as a float32 tensor (new, or `options.out`). */
export function dequantizeBlockwise(q: QuantizedTensor, options?: DequantizeOptions): Tensor {
  const { out: given } = optionsObject(options);
  if (typeof q !== "object" || q === null) fail("ERR_INVALID_ARGUMENT", "q: expected the result of quantizeBlockwise");
  if (!(q.codes instanceof Tensor) || q.codes.dtype !== "uint8") fail("ERR_INVALID_ARGUMENT", "q.codes: expected a uint8 Tensor (from quantizeBlockwise)");
  if (!(q.absmax instanceof Tensor) || q.absmax.dtype !== "float32") fail("ERR_INVALID_ARGUMENT", "q.absmax: expected a float32 Tensor (from quantizeBlockwise)");
  q.codes.assertLive("q.codes");
  q.absmax.assertLive("q.absmax");
  if (!Array.isArray(q.shape) || q.shape.length !== q.codes.shape.length || q.shape.some((d, i) => d !== q.codes.shape[i])) {
    fail("ERR_SHAPE", "q.shape: expected the codes' shape");
  }
  const out = given !== undefined ? checkOut(given, "out", "float32", q.shape, q.codes.device) : new Tensor(new native.Tensor(q.codes.device, "float32", [...q.shape]));
  native.dequantizeBlockwise(q.codes.native, q.absmax.native, out.native, checkBlockSize(q.blockSize), checkBool(q.signed, "signed"));
  return out;
}

/** bitsandbytes' blockwise 8-bit quantization on cuoptim tensors: dynamicMap(), quantizeBlockwise(), dequantizeBlockwise(). */
export const quant = { dynamicMap, quantizeBlockwise, dequantizeBlockwise };

