// test/helpers/thread_workload.ts — the threads test's workload and its runner.
//
// `workload(device, seed)` builds seeded params and grads, steps AdamW (with clipping) and
// AdamW8bit over them, and returns the final params' bits; it frees everything it made, so the
// backend's memory counters end where they started. Run as a worker (workerData {device, seed})
// it posts the bits back. Run as a script, `node --import tsx test/helpers/thread_workload.ts
// DEVICE`, it computes each seed's bits on the main thread first, then runs THREADS workers at
// once while the main thread resizes the cpu pool under them, and prints one JSON line: whether
// every worker's bits equal the single-threaded ones, and memoryStats before and after.
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { AdamW, AdamW8bit, memoryStats, setNumThreads, tensor, type Device, type Tensor } from "../../src-ts/index.js";

const THREADS = 3;
const STEPS = 12;

function seeded(seed: number, n: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

export function workload(device: Device, seed: number): Uint32Array {
  const shapes = [[1 << 16], [64, 130], [257]];
  const made: Tensor[] = [];
  const params = shapes.map((shape, k) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const p = tensor(seeded(seed * 31 + k, n), shape, { device });
    p.grad = tensor(seeded(seed * 31 + k + 1000, n), shape, { device });
    made.push(p, p.grad);
    return p;
  });
  const adamw = new AdamW(params.slice(0, 2), { lr: 1e-2, weightDecay: 0.1 });
  const eightBit = new AdamW8bit(params.slice(2), { lr: 1e-2, min8bitSize: 64, blockSize: 64 });
  for (let i = 0; i < STEPS; i++) {
    adamw.step({ maxGradNorm: 1 });
    eightBit.step();
  }
  const values = params.map((p) => p.toArray());
  const bits = new Uint32Array(values.reduce((a, v) => a + v.length, 0));
  let at = 0;
  for (const v of values) {
    bits.set(new Uint32Array(v.buffer, v.byteOffset, v.length), at);
    at += v.length;
  }
  adamw.free();
  eightBit.free();
  for (const t of made) t.free();
  return bits;
}

function equalBits(a: Uint32Array, b: Uint32Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

async function runAll(device: Device): Promise<void> {
  const seeds = Array.from({ length: THREADS }, (_, i) => i + 1);
  const expected = seeds.map((s) => workload(device, s));
  const before = memoryStats(device).current;
  let done = 0;
  const results = seeds.map(
    (seed) =>
      new Promise<Uint32Array>((resolve, reject) => {
        // Node 20 resolves a worker's entry before --import hooks run: register tsx, then import.
        const boot = `import("tsx/esm/api").then((t) => { t.register(); return import(${JSON.stringify(import.meta.url)}); })`;
        const w = new Worker(boot, { eval: true, workerData: { device, seed } });
        w.once("message", (bits: Uint32Array) => resolve(bits));
        w.once("error", reject);
        w.once("exit", (code) => {
          done++;
          if (code !== 0) reject(new Error(`worker ${seed} exited with ${code}`));
        });
      }),
  );
  // Resize the cpu pool while the workers step: each resize waits for the job in flight.
  let resizes = 0;
  while (done < THREADS) {
    setNumThreads(1 + (resizes++ % 3));
    await new Promise((r) => setTimeout(r, 2));
  }
  const got = await Promise.all(results);
  const after = memoryStats(device).current;
  console.log(JSON.stringify({ same: got.map((g, i) => equalBits(g, expected[i]!)), before, after, resizes }));
}

if (!isMainThread) {
  const { device, seed } = workerData as { device: Device; seed: number };
  const bits = workload(device, seed);
  parentPort!.postMessage(bits);
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runAll(process.argv[2] as Device);
}
