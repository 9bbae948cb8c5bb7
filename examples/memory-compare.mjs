// examples/memory-compare.mjs — the same character model (examples/lib/char-model.mjs, with a
// larger hidden layer so the optimizer state shows) trained for a few hundred steps with AdamW,
// AdamW8bit and Adafactor behind cuoptim/tfjs: optimizer-state memory as memoryStats measures it,
// and the loss each reaches. Run: node examples/memory-compare.mjs
import * as tf from "@tensorflow/tfjs";
import { memoryStats, resolveDevice } from "cuoptim";
import { CuoptimOptimizer } from "cuoptim/tfjs";
import { batches, charModel, loadText, softmaxLoss } from "./lib/char-model.mjs";

const CONTEXT = 16, EMBED = 16, HIDDEN = 512, BATCH = 64;
const STEPS = Number(process.env.STEPS ?? 300);
const device = resolveDevice(process.env.CUOPTIM_DEVICE ?? "auto");
await tf.setBackend("cpu");
const data = loadText();

const runs = [
  ["AdamW", { lr: 3e-3, weightDecay: 0.1 }],
  ["AdamW8bit", { lr: 3e-3, weightDecay: 0.1 }],
  ["Adafactor", { lr: 1e-2 }],
];
const rows = [];
for (const [name, options] of runs) {
  const model = charModel({ vocab: data.chars.length, context: CONTEXT, embed: EMBED, hidden: HIDDEN });
  const optimizer = new CuoptimOptimizer({ optimizer: name, options, device, maxGradNorm: 1 });
  model.compile({ optimizer, loss: softmaxLoss });
  const nextBatch = batches(data, { context: CONTEXT, batch: BATCH, seed: 99 });
  let loss = 0;
  for (let step = 1; step <= STEPS; step++) {
    const { x, y } = nextBatch();
    const l = await model.trainOnBatch(x, y);
    tf.dispose([x, y]);
    loss = step === 1 ? l : 0.95 * loss + 0.05 * l;
  }
  const mem = memoryStats(device).current;
  rows.push({ optimizer: name, params: model.countParams(), stateBytes: mem.state, loss });
  optimizer.dispose();
  model.dispose();
  process.stderr.write(`${name} done\n`);
}
console.log(`char model (${rows[0].params.toLocaleString("en-US")} params), ${STEPS} steps of ${BATCH} on ${device}:`);
console.log("| optimizer | optimizer state | bytes/param | smoothed loss |");
console.log("|---|---:|---:|---:|");
for (const r of rows) {
  console.log(`| ${r.optimizer} | ${(r.stateBytes / 2 ** 10).toFixed(1)} KiB | ${(r.stateBytes / r.params).toFixed(3)} | ${r.loss.toFixed(3)} |`);
}
