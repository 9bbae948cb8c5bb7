// src-ts/native.ts — loads the compiled addon and describes its surface.
//
// Loading is a try-chain (an explicit CUOPTIM_BINARY path, then node-gyp-build's search of
// prebuilds/ and build/Release/) that collects every failure and throws one message saying what
// was looked for, why each failed, and the command that rebuilds the addon.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CuoptimError } from "./errors.js";

export type DeviceName = "cpu" | "cuda-sim" | "cuda" | `cuda:${number}` | `cuda-sim:${number}`;
export type DTypeName = "float32" | "bfloat16" | "float16" | "uint8";
export type Role = "other" | "params" | "grads" | "state";

export interface NativeTensor {
  readonly device: DeviceName;
  readonly dtype: DTypeName;
  readonly shape: number[];
  readonly numel: number;
  readonly bytes: number;
  readonly freed: boolean;
  readonly role: Role;
  /** whether the bytes are in paged (CUDA managed) memory */
  readonly paged: boolean;
  setRole(role: Role): void;
  upload(data: Float32Array | Uint16Array | Uint8Array): void;
  download(out: Float32Array | Uint16Array | Uint8Array): void;
  copyFrom(source: NativeTensor): void;
  zero(): void;
  view(): Float32Array | Uint16Array | Uint8Array;
  free(): void;
}

export interface RoleBytes {
  other: number;
  params: number;
  grads: number;
  state: number;
  total: number;
  /** bytes in paged (CUDA managed) memory, also counted in their role */
  paged: number;
}

/**
 * The element-wise optimizers the addon runs, in kernels/math/elementwise.cuh's order
 * (test/op_list.test.ts checks this list against the addon's).
 */
export const ELEMENTWISE_OPS = [
  "adam",
  "sgd",
  "rmsprop",
  "lion",
  "adam_bnb32",
  "ema",
  "radam",
  "nadam",
  "adamax",
  "adagrad",
  "adabound",
  "sophia",
  "sophia_hessian",
  "shampoo_graft",
  "shampoo_apply",
  "lookahead",
  "tfjs_momentum",
  "tfjs_rmsprop",
  "tfjs_adagrad",
  "tfjs_adadelta",
  "tfjs_adam",
  "tfjs_adamax",
  "adadelta",
  "rprop",
  "asgd",
  "lars",
  "ademamix",
  "sgd_schedule_free",
  "adamw_schedule_free",
  "schedule_free_mode",
  "lamb_update",
  "lamb_apply",
  "muon_momentum",
  "muon_apply",
  "cast",
  "transform16",
  "axpy",
] as const;
export type ElementwiseOp = (typeof ELEMENTWISE_OPS)[number];
/** What the addon says of one element-wise op: its state lists, in order, and whether it reads a gradient. */
export interface ElementwiseOpInfo {
  states: string[];
  readsGrad: boolean;
}
/** prepareStep's opaque handle (a native External). */
export type PreparedStepHandle = { readonly __preparedStep: unique symbol };
/** endCapture's opaque handle: a CUDA graph, destroyed when collected. */
export type GraphHandle = { readonly __graph: unique symbol };

/** The blockwise 8-bit optimizers (kernels/math/blockwise.cuh). */
export type BlockwiseOp = "adam8bit" | "lion8bit" | "ademamix8bit";

export interface NativeBinding {
  Tensor: new (device: DeviceName, dtype: DTypeName, shape: number[], role?: Role, paged?: boolean) => NativeTensor;
  setErrorFactory(factory: (code: string, message: string) => Error): void;
  backends(): { name: "cpu" | "cuda-sim" | "cuda"; available: boolean; reason?: string }[];
  deviceInfo(device: string): { name: DeviceName; available: boolean; reason?: string };
  deviceCount(kind: "cpu" | "cuda-sim" | "cuda"): number;
  memoryStats(device: DeviceName): { current: RoleBytes; peak: RoleBytes };
  resetPeakMemoryStats(device: DeviceName): void;
  synchronize(device: DeviceName): void;
  /** Moves the paged tensors among these to their device ahead of a step (cuda; else a no-op). */
  prefetch(tensors: NativeTensor[]): void;
  numThreads(): number;
  setNumThreads(threads: number): void;
  cpuIsa(): string;
  setCpuIsa(isa: string): void;
  /** Runs an execution-model check kernel (kernels/cuda/selftest.cu) on cuda or cuda-sim. */
  kernelSelfTest(device: DeviceName, name: "block_sum" | "warp_sum" | "atomics" | "neighbour" | "reduce_twice" | "block_chain" | "static_map" | "race_raw" | "race_war" | "race_waw" | "race_warp" | "exited_lane" | "mixed_mask" | "exit_at_barrier" | "host_pointer", input: Float32Array, block: number, flag: 0 | 1): Float32Array;
  /**
   * One step of an element-wise optimizer over every param: lists = [params, grads, ...states]
   * (null for states the options leave unused); steps = step counts after this step; fresh =
   * whether each param's state was created for this step. Ops that read no gradient (lookahead)
   * take null for grads. NAdam also takes each param's host scalar (mu_product) and returns the
   * values after the step. Params may be bfloat16 / float16: a trailing list of float32 masters
   * makes the update run on them and write the params rounded from them; `storage` asks for
   * stochastic rounding of 16-bit params (src-native/ops.cc).
   */
  optimizerStep(
    op: ElementwiseOp,
    lists: (NativeTensor[] | null)[],
    steps: number[] | Float64Array,
    fresh: boolean[] | Uint8Array,
    options: Record<string, number | boolean>,
    hostState?: number[],
    storage?: { stochasticRounding: boolean; seed?: number; tensorIds?: Uint32Array },
  ): number[] | undefined;
  /**
   * optimizerStep's lists read and validated once (the states its options use), for
   * preparedStep: the handle keeps the tensors alive until it is collected.
   */
  prepareStep(op: ElementwiseOp, lists: (NativeTensor[] | null)[], options: Record<string, number | boolean>, capturableStepsDone?: Float64Array): PreparedStepHandle;
  /** Releases a prepared handle's tensors and device record now; the handle cannot step again. */
  releasePrepared(prepared: PreparedStepHandle): void;
  /** Writes a capturable handle's options (lr, betas, weight decay) into its device record, in stream order. */
  capturableHeader(op: ElementwiseOp, prepared: PreparedStepHandle, options: Record<string, number | boolean>): void;
  /** CUDA graphs (cuda): what this thread enqueues on the device until endCapture() is recorded, not run. */
  beginCapture(device: DeviceName): void;
  endCapture(device: DeviceName): GraphHandle;
  /** Enqueues a recorded graph again. */
  replayGraph(graph: GraphHandle): void;
  /** optimizerStep over prepared lists: every tensor is checked live; the options must use the same states. */
  preparedStep(
    op: ElementwiseOp,
    prepared: PreparedStepHandle,
    steps: Float64Array,
    fresh: Uint8Array,
    options: Record<string, number | boolean>,
    hostState?: number[],
    storage?: { stochasticRounding: boolean; seed?: number; tensorIds?: Uint32Array },
  ): number[] | undefined;
  /** Every element-wise op the addon was built with (kernels/math/elementwise.cuh). */
  elementwiseOps(): Record<string, ElementwiseOpInfo>;
  /** The states `op` reads and writes under these (native) options, in the op's order. */
  elementwiseStates(op: ElementwiseOp, options: Record<string, number | boolean>): string[];
  /**
   * One step of a blockwise 8-bit optimizer: lists = [params, grads, ...codes, ...absmax] and,
   * for 16-bit params with master weights, the masters; `storage` as optimizerStep's.
   */
  optimizer8bitStep(
    op: BlockwiseOp,
    lists: NativeTensor[][],
    steps: number[],
    options: Record<string, number | boolean>,
    storage?: { stochasticRounding: boolean; seed?: number; tensorIds?: Uint32Array },
  ): void;
  /**
   * One Adafactor step: per param, rows/cols (factored) or a variance, plus expAvgs when the
   * transformers variant keeps a first moment (kernels/math/adafactor.cuh). CAME (variant
   * "came") always has expAvgs, and resRows/resCols for factored params.
   */
  adafactorStep(
    params: NativeTensor[],
    grads: NativeTensor[],
    rows: (NativeTensor | null)[],
    cols: (NativeTensor | null)[],
    variances: (NativeTensor | null)[],
    expAvgs: NativeTensor[] | null,
    steps: number[],
    options: Record<string, number | boolean | string | null>,
    resRows?: (NativeTensor | null)[],
    resCols?: (NativeTensor | null)[],
    /** cuda and cuda-sim: each param's scratch (uint8, adafactorWorkspaceBytes); made here when missing. */
    workspaces?: (NativeTensor | null)[],
  ): void;
  /** The device scratch (bytes) one Adafactor or CAME param of this shape needs on cuda and cuda-sim. */
  adafactorWorkspaceBytes(shape: readonly number[]): number;
  /** The gradients' total norm (2 or Infinity), one reduction with a fixed tree. */
  gradNorm(grads: NativeTensor[], normType: number): number;
  /** Each grad's total before gradNorm combines them (sum of squares, or max |g|), in order. */
  gradNormTotals(grads: NativeTensor[], normType: number): Float64Array;
  /**
   * cuoptim/distributed (src-native/dist_ops.cc). Arguments go through unchecked: the native side
   * checks them after the ranks have exchanged what each was called with, so a bad argument is
   * an error on every rank rather than a hang.
   */
  distInit(options: unknown): { rank: number; worldSize: number; transport: "mpi" | "local"; library: string };
  distFinalize(): void;
  /** The process's world, the same from every thread (rank etc. once initialized). */
  distInfo(): { state: "uninitialized" | "ready" | "finalized"; rank?: number; worldSize?: number; transport?: "mpi" | "local"; library?: string };
  distAtExit(code: number): void;
  distBarrier(): void;
  distAllReduce(tensor: unknown, op: unknown): void;
  distReduce(tensor: unknown, root: unknown, op: unknown): void;
  distReduceScatter(input: unknown, output: unknown, op: unknown): void;
  distAllGather(input: unknown, output: unknown): void;
  distBroadcast(tensor: unknown, root: unknown): void;
  /** Every rank's bytes, rank after rank; every rank must pass the same length. */
  distAllGatherBytes(bytes: Uint8Array): Uint8Array;
  /** Every rank's bytes on rank `root` (empty elsewhere); every rank must pass the same length. */
  distGatherBytes(bytes: Uint8Array, root: number): Uint8Array;
  /** In place: "scale" multiplies by value, "clamp" clamps to [-value, value]. */
  transformTensors(tensors: NativeTensor[], kind: "scale" | "clamp", value: number): void;
  quantizeBlockwise(values: NativeTensor, codes: NativeTensor, absmax: NativeTensor, blockSize: number, signed: boolean): void;
  dequantizeBlockwise(codes: NativeTensor, absmax: NativeTensor, out: NativeTensor, blockSize: number, signed: boolean): void;
  dynamicMap(signed: boolean): Float32Array;
  /** C <- alpha op(A) op(B) + beta C over row-major sub-matrices (kernels/math/gemm.cuh). */
  gemm(
    a: NativeTensor,
    b: NativeTensor,
    c: NativeTensor,
    options: {
      m: number; n: number; k: number;
      aOffset: number; lda: number; transA: boolean;
      bOffset: number; ldb: number; transB: boolean;
      cOffset: number; ldc: number;
      alpha: number; beta: number;
    },
  ): void;
  /** gemm over lists: C_i <- alpha op(A_i) op(B_i) + beta C_i, one options object for all (cuda: one launch per 32). */
  gemmBatched(
    as: NativeTensor[],
    bs: NativeTensor[],
    cs: NativeTensor[],
    options: {
      m: number; n: number; k: number;
      aOffset: number; lda: number; transA: boolean;
      bOffset: number; ldb: number; transB: boolean;
      cOffset: number; ldc: number;
      alpha: number; beta: number;
    },
  ): void;
  /** t[offset + i*ld + i] += value for i < n. */
  addDiagonal(t: NativeTensor, options: { n: number; offset: number; ld: number; value: number }): void;
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

function load(): NativeBinding {
  const require = createRequire(import.meta.url);
  const failures: string[] = [];
  const explicit = process.env.CUOPTIM_BINARY;
  if (explicit) {
    try {
      return require(explicit) as NativeBinding;
    } catch (e) {
      failures.push(`CUOPTIM_BINARY=${explicit}: ${(e as Error).message}`);
    }
  }
  try {
    const nodeGypBuild = require("node-gyp-build") as (dir: string) => unknown;
    return nodeGypBuild(packageRoot) as NativeBinding;
  } catch (e) {
    failures.push(`node-gyp-build (${join(packageRoot, "prebuilds")}, ${join(packageRoot, "build", "Release")}): ${(e as Error).message}`);
  }
  throw new CuoptimError(
    "ERR_BINDING_NOT_FOUND",
    [
      `Could not load the cuoptim native addon for ${process.platform}-${process.arch}, Node ${process.versions.node} (N-API ${process.versions.napi}).`,
      "Looked for:",
      ...failures.map((f) => `  - ${f}`),
      `Prebuilt binaries ship for linux-x64 (glibc) and linux-arm64. To build from source (a C++17 compiler; CMake for the cuda backend):`,
      `  npm install --no-save cmake-js node-addon-api && node ${join(packageRoot, "scripts", "build-native.mjs")}`,
      "  npm run build:native           # in a clone of the cuoptim repository",
    ].join("\n"),
  );
}

let loaded: NativeBinding | undefined;

/** The addon, loaded on first use (so the pure-JS parts import and run without a binary). */
function binding(): NativeBinding {
  if (!loaded) {
    const b = load();
    b.setErrorFactory((code, message) => new CuoptimError(code as CuoptimError["code"], message));
    loaded = b;
  }
  return loaded;
}

/**
 * The addon's functions. A proxy: the first property read loads the binary, and a missing or
 * broken binary is an error there (naming what was looked for), not at import.
 */
export const native: NativeBinding = new Proxy({} as NativeBinding, {
  get: (_target, key) => Reflect.get(binding(), key),
  set: (_target, key, value) => Reflect.set(binding(), key, value),
});

let opInfo: Readonly<Record<string, ElementwiseOpInfo>> | undefined;
/** What the addon says of one element-wise op (read from the addon once). */
export function elementwiseOpInfo(op: ElementwiseOp): ElementwiseOpInfo {
  opInfo ??= native.elementwiseOps();
  return opInfo[op]!;
}
