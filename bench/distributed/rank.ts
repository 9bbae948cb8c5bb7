// bench/distributed/rank.ts — one rank of the ZeRO benchmark (bench/distributed/run.ts starts it
// under mpirun): mixed-precision AdamW (bfloat16 params and grads, float32 masters and moments:
// the ZeRO paper's K = 12) sharded with ZeroRedundancyOptimizer at stage 1 and stage 2 over a
// model of equal-size tensors, so the partition is even. Per rank it measures, with memoryStats,
// the bytes of params, grads and optimizer state after a step, and the step time with and without
// the communication. A stage-2 rank drops the gradients of params it does not own once step()
// has averaged them onto their owners (as a framework that frees each gradient after reducing
// it does); stage 1 keeps every averaged gradient. Rank 0 prints one JSON line per stage.
import { allGatherJson } from "../../src-ts/distributed/world.js";
import { init, ZeroRedundancyOptimizer } from "../../src-ts/distributed/index.js";
import { AdamW, memoryStats, tensor, type Tensor } from "../../src-ts/index.js";

const TENSORS = Number(process.env.BENCH_TENSORS ?? 24);
const NUMEL = Number(process.env.BENCH_NUMEL ?? 1 << 16);
const TIMED = Number(process.env.BENCH_STEPS ?? 20);
const { rank, worldSize } = init();
const psi = TENSORS * NUMEL;

function values(seed: number): Float32Array {
  const out = new Float32Array(NUMEL);
  for (let i = 0; i < NUMEL; i++) out[i] = Math.sin(seed * 7919 + i) * 0.01;
  return out;
}

for (const stage of [1, 2] as const) {
  const params: Tensor[] = Array.from({ length: TENSORS }, (_, i) => tensor(values(i), [NUMEL], { dtype: "bfloat16" }) as unknown as Tensor);
  const gradValues = params.map((_, i) => values(1000 + i + rank));
  // Gradients are freed when dropped, so memoryStats counts only those held.
  const release = (p: Tensor): void => {
    p.grad?.free();
    p.grad = null;
  };
  const setGrads = (): void =>
    params.forEach((p, i) => {
      release(p);
      p.grad = tensor(gradValues[i]!, [NUMEL], { dtype: "bfloat16" }) as unknown as Tensor;
    });
  const zero = new ZeroRedundancyOptimizer(params, AdamW, { lr: 1e-3, masterWeights: true, stage });
  const dropForeign = (): void => {
    if (stage === 2) for (const p of params) if (zero.ownerOf(p) !== rank) release(p);
  };
  setGrads();
  zero.step();
  dropForeign();
  const mem = memoryStats("cpu").current;
  const time = (f: () => void): number => {
    const t0 = performance.now();
    for (let s = 0; s < TIMED; s++) f();
    return (performance.now() - t0) / TIMED;
  };
  const stepMs = time(() => {
    setGrads();
    zero.step();
    dropForeign();
  });
  // The same work without the collectives: this rank's optimizer over its partition alone.
  const localMs = time(() => {
    setGrads();
    zero.optim.step();
    dropForeign();
  });
  const mine = { rank, params: mem.params, grads: mem.grads, state: mem.state, stepMs, localMs };
  const all = allGatherJson(mine);
  if (rank === 0) console.log(JSON.stringify({ stage, worldSize, psi, ranks: all }));
  zero.free();
  for (const p of params) {
    release(p);
    p.free();
  }
}
