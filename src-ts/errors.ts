// src-ts/errors.ts — the one error type cuoptim throws, with stable codes.
//
// Native code throws the same class (native.ts registers a factory), so every failure, from an
// option check in TypeScript to an allocation in a backend, is a CuoptimError with a `code`.

/** The stable codes a CuoptimError carries (`e.code`); the message says what was wrong and where. */
export type ErrorCode =
  | "ERR_INVALID_ARGUMENT"
  | "ERR_SHAPE"
  | "ERR_DTYPE"
  | "ERR_DEVICE"
  | "ERR_FREED"
  | "ERR_RANGE"
  | "ERR_BACKEND_UNAVAILABLE"
  | "ERR_OUT_OF_MEMORY"
  | "ERR_KERNEL"
  | "ERR_NOT_IMPLEMENTED"
  | "ERR_BINDING_NOT_FOUND"
  | "ERR_STATE_DICT"
  | "ERR_CHECKPOINT"
  | "ERR_IO"
  | "ERR_DISTRIBUTED"
  | "ERR_PARITY"
  | "ERR_REFERENCE"
  | "ERR_INTERNAL";

/** Every error cuoptim throws, from an option check to a device allocation: `code` is stable (ErrorCode), the message names the value by the caller's own path (`paramGroups[1].params[3]`) and what was expected. */
export class CuoptimError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "CuoptimError";
    this.code = code;
  }
}

export function fail(code: ErrorCode, message: string): never {
  throw new CuoptimError(code, message);
}
