// test/distributed/threads.cases.ts — worker threads share their process's world: a worker uses
// the world the main thread joined (rank, worldSize, collectives), while the main thread keeps
// stepping an optimizer; init() from the worker is refused (once per process).
import { Worker } from "node:worker_threads";
import * as assert from "uvu/assert";
import { rank, worldSize } from "../../src-ts/distributed/index.js";
import { AdamW, tensor } from "../../src-ts/index.js";
import { test } from "./harness.js";

test("a worker thread uses the world the main thread joined, while the main thread steps an optimizer", async () => {
  // Node 20 resolves a worker's entry before --import hooks run: register tsx, then import.
  const entry = new URL("./thread_worker.ts", import.meta.url).href;
  const boot = `import("tsx/esm/api").then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`;
  const worker = new Worker(boot, { eval: true });
  const seen = new Promise<{ initialized: boolean; rank: number; worldSize: number; sums: number[]; secondInit: string }>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  const w = tensor(new Float32Array(4096).fill(1), [4096]);
  w.grad = tensor(new Float32Array(4096).fill(0.5), [4096]);
  const opt = new AdamW([w], { lr: 1e-3 });
  for (let i = 0; i < 20; i++) opt.step();
  const r = await seen;
  await worker.terminate();
  assert.is(r.initialized, true);
  assert.is(r.rank, rank());
  assert.is(r.worldSize, worldSize());
  const n = worldSize();
  r.sums.forEach((s, i) => assert.is(s, (n * (n - 1)) / 2 + n * i, `allReduce ${i} from the worker`));
  assert.match(r.secondInit, /^ERR_DISTRIBUTED: init: already initialized/);
});
