// src-ts/distributed/world.ts — joining a distributed job and the collectives on cuoptim tensors
// (torch.distributed's model: one process per rank, started by a launcher).
//
// `mpirun -np N node train.mjs` starts the ranks; init() joins them through Open MPI, loaded at
// run time (a missing library is init()'s error and nothing else's). A process started without
// a launcher is a world of one, where every collective leaves its tensors as a one-rank job
// would. cpu and cuda-sim tensors travel through MPI. Reductions fold the ranks' values in rank
// order (rank 0 first), so results are the same on every rank and from run to run, whatever MPI
// does; 16-bit tensors are summed in float32 and rounded once. Each call first compares what
// every rank passed: different shapes, dtypes, devices, roots or calls are an error on every
// rank (ERR_DISTRIBUTED), before any tensor changes.
import { isMainThread } from "node:worker_threads";
import { fail } from "../errors.js";
import { native } from "../native.js";
import type { Tensor } from "../tensor.js";
import { optionsObject } from "../validate.js";

/** A reduction: the ranks' values summed, averaged (the sum divided by the world size) or their maximum (NaN wins). */
export type ReduceOp = "sum" | "avg" | "max";

/** Options of init(). */
export interface InitOptions {
  /**
   * Seconds a rank waits in one collective for the others before it ends the whole job
   * (MPI_Abort, naming the call and the rank), so a rank that stopped or went another way never
   * leaves the others hanging. Default: 1800 (torch's default process-group timeout).
   */
  timeoutSeconds?: number;
}

/** This process's place in the job, as init() found it. */
export interface WorldInfo {
  /** This process's rank, 0 ≤ rank < worldSize. */
  rank: number;
  /** How many ranks the job has. */
  worldSize: number;
  /** "mpi" under a launcher (Open MPI), "local" for a world of one started without one. */
  transport: "mpi" | "local";
  /** The MPI library's version string, or "" for a local world. */
  library: string;
}

/**
 * Joins the job the launcher started (Open MPI's mpirun; its environment says the rank and the
 * world size), or makes a world of one when there is no launcher. Once per process (worker
 * threads share the process's world: they call the collectives, not init()): a second call is
 * ERR_DISTRIBUTED. At process exit the job is left cleanly (MPI_Finalize) when the process exits
 * with code 0, and ended for every rank (MPI_Abort, naming this rank) when it exits with another
 * code, e.g. on an uncaught error.
 */
export function init(options: InitOptions = {}): WorldInfo {
  if (typeof options !== "object" || options === null) fail("ERR_INVALID_ARGUMENT", "init: options: expected an object");
  const info = Object.freeze({ ...native.distInit(options) });
  if (isMainThread) {
    // Node emits "exit" before it prints an uncaught error, and the abort there ends the
    // process: the error is printed here first, with the rank.
    if (info.transport === "mpi") process.on("uncaughtExceptionMonitor", (e) => console.error(`cuoptim/distributed: rank ${info.rank} of ${info.worldSize}: uncaught`, e));
    process.on("exit", (code) => native.distAtExit(typeof code === "number" ? code : 1));
  }
  return info;
}

/** Whether init() ran in this process (and finalize() did not). */
export function isInitialized(): boolean {
  return native.distInfo().state === "ready";
}

function current(what: string): WorldInfo {
  const info = native.distInfo();
  if (info.state === "uninitialized") fail("ERR_DISTRIBUTED", `${what}: call distributed.init() first`);
  if (info.state === "finalized") fail("ERR_DISTRIBUTED", `${what}: finalize() already ran in this process`);
  return { rank: info.rank!, worldSize: info.worldSize!, transport: info.transport!, library: info.library! };
}

/** This process's rank (torch.distributed.get_rank()). */
export function rank(): number {
  return current("rank").rank;
}

/** The number of ranks (torch.distributed.get_world_size()). */
export function worldSize(): number {
  return current("worldSize").worldSize;
}

/** Leaves the job (MPI_Finalize). Every rank calls it; afterwards every collective is ERR_DISTRIBUTED, and init() cannot run again. */
export function finalize(): void {
  native.distFinalize();
}

/** Waits until every rank has called barrier(). */
export function barrier(): void {
  native.distBarrier();
}

/** The native tensor behind a value, or the value itself for the native side to refuse with its name. */
function nat(t: unknown): unknown {
  return typeof t === "object" && t !== null && "native" in t ? (t as Tensor).native : t;
}

function opOf(options: unknown, what: string): unknown {
  if (options === undefined) return "sum";
  if (typeof options !== "object" || options === null) fail("ERR_INVALID_ARGUMENT", `${what}: options: expected an object`);
  return (options as { op?: unknown }).op ?? "sum";
}

/** In place: every rank's `tensor` becomes the reduction of all ranks' values. `op` default: "sum". */
export function allReduce(tensor: Tensor, options?: { op?: ReduceOp }): void {
  native.distAllReduce(nat(tensor), opOf(options, "allReduce"));
}

/** In place on rank `dst` only: `tensor` there becomes the reduction of all ranks' values; the others' tensors are unchanged. */
export function reduce(tensor: Tensor, options: { dst?: number; op?: ReduceOp } = {}): void {
  native.distReduce(nat(tensor), optionsObject(options, "reduce: options").dst ?? 0, opOf(options, "reduce"));
}

/**
 * torch's reduce_scatter_tensor: `input` holds worldSize blocks of output.numel elements; rank
 * r's `output` becomes the reduction of every rank's block r.
 */
export function reduceScatter(output: Tensor, input: Tensor, options?: { op?: ReduceOp }): void {
  native.distReduceScatter(nat(input), nat(output), opOf(options, "reduceScatter"));
}

/** torch's all_gather_into_tensor: `output` (worldSize × input.numel elements) becomes every rank's `input`, rank after rank. */
export function allGather(output: Tensor, input: Tensor): void {
  native.distAllGather(nat(input), nat(output));
}

/** Every rank's `tensor` becomes rank `src`'s. */
export function broadcast(tensor: Tensor, options: { src?: number } = {}): void {
  native.distBroadcast(nat(tensor), optionsObject(options, "broadcast: options").src ?? 0);
}

/** Every rank's bytes, rank after rank (metadata the ranks compare; every rank passes the same length). */
export function allGatherBytes(bytes: Uint8Array): Uint8Array[] {
  const all = native.distAllGatherBytes(bytes);
  const n = bytes.length;
  return Array.from({ length: current("allGatherBytes").worldSize }, (_, r) => all.subarray(r * n, (r + 1) * n));
}

/** Every rank's JSON value, rank after rank (any length: the lengths are exchanged first). */
export function allGatherJson<T>(value: T): T[] {
  const mine = new TextEncoder().encode(JSON.stringify(value));
  const lengths = allLengths(mine);
  const padded = new Uint8Array(Math.max(...lengths));
  padded.set(mine);
  return allGatherBytes(padded).map((b, r) => JSON.parse(new TextDecoder().decode(b.subarray(0, lengths[r]))) as T);
}

/** Every rank's byte count. */
function allLengths(bytes: Uint8Array): number[] {
  return allGatherBytes(new Uint8Array(new Float64Array([bytes.length]).buffer)).map((b) => new Float64Array(b.slice().buffer)[0]!);
}

/** Every rank's bytes (any length) on rank `root`, rank after rank; null on the other ranks. */
export function gatherBytes(bytes: Uint8Array, root: number): Uint8Array[] | null {
  const lengths = allLengths(bytes);
  const padded = new Uint8Array(Math.max(...lengths));
  padded.set(bytes);
  const all = native.distGatherBytes(padded, root);
  if (current("gatherBytes").rank !== root) return null;
  return lengths.map((n, r) => all.subarray(r * padded.length, r * padded.length + n));
}
