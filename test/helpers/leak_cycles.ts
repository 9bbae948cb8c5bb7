// test/helpers/leak_cycles.ts — the leak test's workload, run in a process of its own so that no
// other test's heap moves its RSS: `node --import tsx test/helpers/leak_cycles.ts DEVICE N`
// runs 2N warm-up cycles, then reads RSS after each of two more windows of N cycles, and prints
// {start, end, rss: [after warm-up, after window 1, after window 2]} (memoryStats' current bytes
// before and after, RSS in bytes).
//
// Each cycle builds tensors, one of several optimizers (with state), steps it twice with
// clipping, and frees everything explicitly. The loop yields to the event loop every 100 cycles,
// as a training loop does: Node runs the finalizers of collected native wrappers from the event
// loop, so a loop that never yields holds on to the (small) wrappers of tensors it has freed.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { AdamW, AdamW8bit, Adafactor, Lookahead, memoryStats, NAdam, SGD, tensor, type Device, type Tensor } from "../../src-ts/index.js";

const makers = [
  (p: Tensor[]) => new AdamW(p, { lr: 1e-3 }),
  (p: Tensor[]) => new SGD(p, { lr: 1e-3, momentum: 0.9 }),
  (p: Tensor[]) => new NAdam(p),
  (p: Tensor[]) => new AdamW8bit(p, { min8bitSize: 64, blockSize: 64 }),
  (p: Tensor[]) => new Adafactor(p),
  (p: Tensor[]) => new Lookahead(new AdamW(p), { k: 1 }),
];

function cycle(device: Device, i: number, data: Float32Array): void {
  const params = [tensor(data, [16, 16], { device }), tensor(data.subarray(0, 100), [100], { device })];
  const grads = params.map((p) => tensor(data.subarray(0, p.numel), [...p.shape], { device }));
  params.forEach((p, k) => (p.grad = grads[k]!));
  const opt = makers[i % makers.length]!(params);
  opt.step({ maxGradNorm: 1 });
  opt.step();
  opt.free();
  for (const t of [...params, ...grads]) t.free();
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
// A full collection before each reading, so V8's lazily grown heap does not read as a leak.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
async function settledRss(): Promise<number> {
  for (let k = 0; k < 3; k++) {
    gc();
    await turn();
  }
  return process.memoryUsage().rss;
}
async function cycles(device: Device, from: number, to: number, data: Float32Array): Promise<void> {
  for (let i = from; i < to; i++) {
    cycle(device, i, data);
    if (i % 100 === 99) await turn();
  }
}

const device = process.argv[2] as Device;
const n = Number(process.argv[3]);
const data = new Float32Array(256).map((_, i) => Math.sin(i) * 0.1);
await settledRss();
const start = memoryStats(device).current;
await cycles(device, 0, 2 * n, data);
const rss = [await settledRss()];
for (let w = 2; w < 4; w++) {
  await cycles(device, w * n, (w + 1) * n, data);
  rss.push(await settledRss());
}
console.log(JSON.stringify({ start, end: memoryStats(device).current, rss }));
