// src-ts/quant.ts — bitsandbytes-style 8-bit blockwise quantization of any tensor, and the
// dynamic maps the 8-bit optimizers use (kernels/math/quant8.cuh).
import { fail } from "./errors.js";
import { native } from "./native.js";
import { checkTensor, Tensor } from "./tensor.js";
import { checkBool, checkNumber, optionsObject } from "./validate.js";

export interface QuantizeOptions {
  /** Elements per block, a power of two from 64 to 4096 (default 4096, bitsandbytes' default). */
  blockSize?: number;
  /** The signed dynamic map (default) or the unsigned one (for non-negative values). */
  signed?: boolean;
}

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

/** Per block: absmax = max |x|, code = the map entry nearest to x / absmax. */
export function quantizeBlockwise(x: Tensor, options?: QuantizeOptions): QuantizedTensor {
  const { blockSize = 4096, signed = true } = optionsObject(options);
  checkTensor(x, "x");
  x.assertLive("x");
  const block = checkBlockSize(blockSize);
  checkBool(signed, "signed");
  // A NaN or infinite value has no code: its block's absmax would be infinite and every code in
  // the block meaningless. One max-reduction finds them.
  if (x.numel > 0 && !Number.isFinite(native.gradNorm([x.native], Infinity))) fail("ERR_RANGE", "x: holds NaN or Infinity; blockwise quantization needs finite values");
  const codes = new Tensor<"uint8">(new native.Tensor(x.device, "uint8", [...x.shape]));
  const absmax = new Tensor(new native.Tensor(x.device, "float32", [Math.ceil(x.numel / block)]));
  native.quantizeBlockwise(x.native, codes.native, absmax.native, block, signed);
  return { codes, absmax, shape: x.shape, blockSize: block, signed };
}

/** code[codes] * absmax of each element's block, as a new float32 tensor. */
export function dequantizeBlockwise(q: QuantizedTensor): Tensor {
  if (typeof q !== "object" || q === null) fail("ERR_INVALID_ARGUMENT", "q: expected the result of quantizeBlockwise");
  if (!(q.codes instanceof Tensor) || q.codes.dtype !== "uint8") fail("ERR_INVALID_ARGUMENT", "q.codes: expected a uint8 Tensor (from quantizeBlockwise)");
  if (!(q.absmax instanceof Tensor) || q.absmax.dtype !== "float32") fail("ERR_INVALID_ARGUMENT", "q.absmax: expected a float32 Tensor (from quantizeBlockwise)");
  q.codes.assertLive("q.codes");
  q.absmax.assertLive("q.absmax");
  if (!Array.isArray(q.shape) || q.shape.length !== q.codes.shape.length || q.shape.some((d, i) => d !== q.codes.shape[i])) {
    fail("ERR_SHAPE", "q.shape: expected the codes' shape");
  }
  const out = new Tensor(new native.Tensor(q.codes.device, "float32", [...q.shape]));
  native.dequantizeBlockwise(q.codes.native, q.absmax.native, out.native, checkBlockSize(q.blockSize), checkBool(q.signed, "signed"));
  return out;
}

export const quant = { dynamicMap, quantizeBlockwise, dequantizeBlockwise };

