// test/distributed/thread_worker.ts — the worker of threads.cases.ts: in a worker thread of a
// rank, uses the world the main thread joined (no init() of its own), and posts what it saw.
import { parentPort } from "node:worker_threads";
import { allReduce, init, isInitialized, rank, worldSize } from "../../src-ts/distributed/index.js";
import { CuoptimError, tensor } from "../../src-ts/index.js";

const sums: number[] = [];
for (let i = 0; i < 50; i++) {
  const t = tensor(new Float32Array([rank() + i]), [1]);
  allReduce(t);
  sums.push(t.toArray()[0]!);
}
let secondInit = "";
try {
  init();
} catch (e) {
  secondInit = e instanceof CuoptimError ? `${e.code}: ${e.message}` : String(e);
}
parentPort!.postMessage({ initialized: isInitialized(), rank: rank(), worldSize: worldSize(), sums, secondInit });
