// src-ts/distributed/index.ts — `cuoptim/distributed`: data-parallel training across processes.
// Collectives on cuoptim tensors over Open MPI (loaded at run time; `mpirun -np N node ...`) and
// ZeroRedundancyOptimizer, which shards any cuoptim optimizer's state (ZeRO stages 1 and 2).
export {
  allGather,
  allReduce,
  barrier,
  broadcast,
  finalize,
  init,
  isInitialized,
  rank,
  reduce,
  reduceScatter,
  worldSize,
  type InitOptions,
  type ReduceOp,
  type WorldInfo,
} from "./world.js";
export { ZeroRedundancyOptimizer, type OptimizerClass, type ShardedContents, type ZeroOptions } from "./zero.js";
