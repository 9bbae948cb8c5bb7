// test/leaks.test.ts — 10 000 create / step / free cycles leave nothing behind: memoryStats
// returns to where it started (every byte the backends allocated was released), and the
// process's resident memory stays flat across them (so nothing outside the accounting grows
// either: no leaked host buffers, wrappers or thread-pool work). RSS is read after a warm-up of
// as many cycles, which is how long the allocator and V8 take to reach their steady size.
// Each cycle builds tensors, one of several optimizers (with state), steps it twice with clipping,
// and frees everything explicitly. The loop yields to the event loop every 100 cycles, as a
// training loop does: Node runs the finalizers of collected native wrappers from the event loop,
// so a loop that never yields holds on to the (small) wrappers of tensors it has freed.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AdamW, AdamW8bit, Adafactor, Lookahead, memoryStats, NAdam, SGD, tensor, type Device, type Tensor } from "../src-ts/index.js";
import { testDevices } from "./helpers/devices.js";

const CYCLES = Number(process.env.CUOPTIM_LEAK_CYCLES ?? 10_000);
// ASan keeps freed memory in quarantine and shadows every allocation, so RSS means nothing there.
const sanitized = (process.env.LD_PRELOAD ?? "").includes("asan");

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
// A full collection before each RSS reading, so V8's lazily grown heap does not read as a leak.
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
  await turn();
}
for (const device of testDevices().filter((d) => d !== "cuda")) {
  // The simulator runs every kernel launch on fibers: fewer cycles there keep the test quick.
  const n = device === "cuda-sim" ? Math.ceil(CYCLES / 5) : CYCLES;
  test(`${device}: ${n} create/step/free cycles return memoryStats to its start and keep RSS flat`, async () => {
    const data = new Float32Array(256).map((_, i) => Math.sin(i) * 0.1);
    // uvu runs every test file in one process: settle first, so tensors other files dropped
    // (freed when their wrappers are collected) are not counted against this test.
    await settledRss();
    const start = memoryStats(device).current;
    await cycles(device, 0, n, data);
    const rssWarm = await settledRss();
    await cycles(device, n, 2 * n, data);
    const rssEnd = await settledRss();
    assert.equal(memoryStats(device).current, start, "every byte allocated was released");
    const grewMiB = (rssEnd - rssWarm) / 2 ** 20;
    if (process.env.CUOPTIM_TEST_VERBOSE) console.log(`    ${device}: RSS ${(rssWarm / 2 ** 20).toFixed(1)} -> ${(rssEnd / 2 ** 20).toFixed(1)} MiB over ${n} cycles`);
    // Each cycle allocates ~3 KiB of tensors and state plus their wrappers: leaking them over
    // 10 000 cycles would add ~30 MiB; the allowance covers the allocator's and V8's jitter
    // (±2 MiB measured).
    if (!sanitized && n >= 10_000) assert.ok(grewMiB < 8, `RSS grew by ${grewMiB.toFixed(1)} MiB`);
  });
}

test.run();
